using System.Text.Json.Nodes;
using FalEmulator.Faults;
using FalEmulator.Queue;
using FalEmulator.Recording;

namespace FalEmulator.Api;

/// <summary>
/// The emulated CDN (fal.media): output files by URL, public like fal's, with range requests so browsers can seek.
/// The file faults happen here: an expired file (404) and a download cut off halfway.
/// </summary>
public static class MediaApi
{
    public static IEndpointRouteBuilder MapMediaApi(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/files/{requestId}/{fileName}", [HttpMethods.Get, HttpMethods.Head], ServeAsync).WithName("File");
        return app;
    }

    private static async Task<IResult> ServeAsync(
        HttpContext http,
        string requestId,
        string fileName,
        RequestStore store,
        Microsoft.Extensions.Options.IOptions<Options.FalEmulatorOptions> options,
        TimeProvider time)
    {
        CallRecording.Classify(http, CallKind.File, requestId);
        var request = store.Find(requestId);
        var expired = request is { OutputLifetime: { } lifetime, CompletedAt: { } completed }
                      && time.GetUtcNow() > completed + options.Value.Scale(lifetime);
        if (request?.VideoPath is not { } path || fileName != "output.mp4" || request.Faults.File == FileFault.Gone || expired
            || request.PayloadsDeletedAt is not null)
        {
            return Results.Json(new JsonObject { ["detail"] = "File not found" }, statusCode: 404);
        }

        if (request.Faults.FileBytes > new FileInfo(path).Length + 8 && !HttpMethods.IsHead(http.Request.Method))
        {
            await PaddedAsync(http, path, request.Faults.FileBytes);
            return Results.Empty;
        }

        if (request.Faults.File == FileFault.Slow && !HttpMethods.IsHead(http.Request.Method))
        {
            await TrickleAsync(http, path, options.Value.Scale(request.Faults.SlowFileDuration));
            return Results.Empty;
        }

        if (request.Faults.File != FileFault.Truncated || HttpMethods.IsHead(http.Request.Method))
        {
            return Results.File(path, "video/mp4", enableRangeProcessing: true);
        }

        // Promise the whole file, send half, then drop the connection: what a broken CDN transfer looks like.
        var length = new FileInfo(path).Length;
        http.Response.ContentType = "video/mp4";
        http.Response.ContentLength = length;
        await using (var file = File.OpenRead(path))
        {
            var half = new byte[length / 2];
            await file.ReadExactlyAsync(half, http.RequestAborted);
            await http.Response.Body.WriteAsync(half, http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
        }

        // Let the client take in what was sent before the reset, which would otherwise discard it unread.
        await Task.Delay(TimeSpan.FromMilliseconds(200), http.RequestAborted);
        http.Abort();
        return Results.Empty;
    }

    /// <summary>
    /// The rendered MP4 followed by a <c>free</c> box of zeros up to <paramref name="total"/> bytes: still a valid MP4, as
    /// large as a benchmark needs, generated as it is sent (the emulator holds 64 KB of it at a time).
    /// </summary>
    private static async Task PaddedAsync(HttpContext http, string path, long total)
    {
        var video = await File.ReadAllBytesAsync(path, http.RequestAborted);
        var padding = total - video.Length;
        http.Response.ContentType = "video/mp4";
        http.Response.ContentLength = total;
        await http.Response.Body.WriteAsync(video, http.RequestAborted);
        var header = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header, (uint)padding);
        "free"u8.CopyTo(header.AsSpan(4));
        await http.Response.Body.WriteAsync(header, http.RequestAborted);
        var zeros = new byte[64 * 1024];
        for (var left = padding - 8; left > 0; left -= zeros.Length)
        {
            await http.Response.Body.WriteAsync(zeros.AsMemory(0, (int)Math.Min(zeros.Length, left)), http.RequestAborted);
        }
    }

    /// <summary>The whole file in ten slices spread over <paramref name="duration"/>: a slow CDN, for "killed while storing".</summary>
    private static async Task TrickleAsync(HttpContext http, string path, TimeSpan duration)
    {
        var bytes = await File.ReadAllBytesAsync(path, http.RequestAborted);
        http.Response.ContentType = "video/mp4";
        http.Response.ContentLength = bytes.Length;
        var slice = (bytes.Length + 9) / 10;
        for (var offset = 0; offset < bytes.Length; offset += slice)
        {
            await http.Response.Body.WriteAsync(bytes.AsMemory(offset, Math.Min(slice, bytes.Length - offset)), http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
            await Task.Delay(duration / 10, http.RequestAborted);
        }
    }
}
