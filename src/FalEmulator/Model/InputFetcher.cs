using System.Text.Json.Nodes;
using FalEmulator.Media;
using FalEmulator.Options;
using FalEmulator.Queue;
using FalEmulator.Recording;
using Microsoft.Extensions.Options;

namespace FalEmulator.Model;

/// <summary>The kinds of input file the model downloads, with fal's documented limits.</summary>
public enum InputKind
{
    Image,
    Video,
    Audio,
}

/// <summary>A downloaded input: where it was saved and, for images, what it is.</summary>
public sealed record FetchedInput(string Path, long Length, ImageInfo? Image);

/// <summary>
/// Downloads input URLs the way a fal model does (http(s) or <c>data:</c> URIs), into a local file, and refuses what the
/// model would refuse with fal's 422 error types: <c>file_download_error</c>, <c>file_too_large</c>,
/// <c>unsupported_*_format</c> (HEIC included), <c>image_load_error</c>. Each image it downloads is recorded on its request.
/// </summary>
public class InputFetcher(IHttpClientFactory httpClientFactory, IOptions<FalEmulatorOptions> options)
{
    public const string HttpClientName = "fal-emulator-inputs";

    private const long MaxVideoBytes = 50L * 1024 * 1024;
    private const long MaxAudioBytes = 15L * 1024 * 1024;

    /// <param name="request">The request the input is for; images are recorded on it as they were found.</param>
    public virtual async Task<(FetchedInput? Input, FalErrorDetail? Error)> FetchAsync(
        string url, IReadOnlyList<object> loc, InputKind kind, string directory, QueuedRequest? request,
        CancellationToken cancellationToken)
    {
        var maxBytes = kind switch
        {
            InputKind.Video => MaxVideoBytes,
            InputKind.Audio => MaxAudioBytes,
            _ => options.Value.MaxInputBytes,
        };
        var path = Path.Combine(directory, $"input-{Guid.NewGuid():N}");
        long length;
        try
        {
            length = url.StartsWith("data:", StringComparison.OrdinalIgnoreCase)
                ? await SaveDataUriAsync(url, path, maxBytes, cancellationToken)
                : await DownloadAsync(url, path, maxBytes, cancellationToken);
        }
        catch (FileTooLargeException)
        {
            return (null, FalErrorDetail.Create(loc, "file_too_large",
                $"File size exceeds the maximum allowed size of {maxBytes} bytes. Please upload a smaller file.",
                new JsonObject { ["max_size"] = maxBytes }, url));
        }
        catch (Exception e) when (e is HttpRequestException or FormatException or IOException
                                      or InvalidOperationException or UriFormatException
                                      || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return (null, DownloadError(loc, url));
        }

        var header = new byte[64 * 1024];
        int read;
        await using (var file = File.OpenRead(path))
        {
            read = await file.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken);
        }

        var head = header.AsSpan(0, read);
        if (kind == InputKind.Image)
        {
            request?.RecordImage(Seen(loc, head));
        }

        switch (kind)
        {
            case InputKind.Image when ImageProbe.DetectFormat(head) is null: // HEIC/HEIF too: fal's image models refuse it
                return (null, FalErrorDetail.Create(loc, "unsupported_image_format",
                    "Unsupported image format. Supported formats are .jpg, .jpeg, .png, .webp.",
                    new JsonObject { ["supported_formats"] = new JsonArray(".jpg", ".jpeg", ".png", ".webp") }, url));
            case InputKind.Image when ImageProbe.Probe(head) is not { } image:
                return (null, FalErrorDetail.Create(loc, "image_load_error",
                    "Failed to load the image. Please ensure the image file is not corrupted and is in a supported format.", input: url));
            case InputKind.Image:
                return (new FetchedInput(path, length, ImageProbe.Probe(head)), null);
            case InputKind.Video when !LooksLikeIsoMedia(head):
                return (null, FalErrorDetail.Create(loc, "unsupported_video_format",
                    "Unsupported video format. Supported formats are .mp4, .mov.",
                    new JsonObject { ["supported_formats"] = new JsonArray(".mp4", ".mov") }, url));
            case InputKind.Audio when !LooksLikeMp3OrWav(head):
                return (null, FalErrorDetail.Create(loc, "unsupported_audio_format",
                    "Unsupported audio format. Supported formats are .mp3, .wav.",
                    new JsonObject { ["supported_formats"] = new JsonArray(".mp3", ".wav") }, url));
            default:
                return (new FetchedInput(path, length, null), null);
        }
    }

    /// <summary>What the model found at <paramref name="loc"/> (<c>["body", "image_urls", 2]</c> is <c>image_urls[2]</c>).</summary>
    private static RecordedImage Seen(IReadOnlyList<object> loc, ReadOnlySpan<byte> head)
    {
        var field = string.Concat(loc.Skip(1).Select((part, i) => i == 0 ? $"{part}" : $"[{part}]"));
        var format = ImageProbe.DetectFormat(head) ?? (ImageProbe.IsHeif(head) ? "heif" : null);
        var info = ImageProbe.Probe(head);
        return new RecordedImage(field, format, info?.Width, info?.Height, info?.Orientation);
    }

    private static FalErrorDetail DownloadError(IReadOnlyList<object> loc, string url) =>
        FalErrorDetail.Create(loc, "file_download_error",
            "Failed to download the file. Please check if the URL is accessible and try again.", input: url);

    private async Task<long> DownloadAsync(string url, string path, long maxBytes, CancellationToken cancellationToken)
    {
        var uri = new Uri(url, UriKind.Absolute);
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new FormatException("only http(s) and data: URLs can be fetched");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.InputFetchTimeout);
        var client = httpClientFactory.CreateClient(HttpClientName);
        using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > maxBytes)
        {
            throw new FileTooLargeException();
        }

        await using var source = await response.Content.ReadAsStreamAsync(timeout.Token);
        return await CopyCappedAsync(source, path, maxBytes, timeout.Token);
    }

    private static async Task<long> SaveDataUriAsync(string url, string path, long maxBytes, CancellationToken cancellationToken)
    {
        // data:[<media type>][;base64],<data>
        var comma = url.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0)
        {
            throw new FormatException("a data: URI needs a comma");
        }

        var meta = url[5..comma];
        var payload = url[(comma + 1)..];
        var bytes = meta.EndsWith(";base64", StringComparison.OrdinalIgnoreCase)
            ? Convert.FromBase64String(payload)
            : System.Text.Encoding.UTF8.GetBytes(Uri.UnescapeDataString(payload));
        if (bytes.LongLength > maxBytes)
        {
            throw new FileTooLargeException();
        }

        await File.WriteAllBytesAsync(path, bytes, cancellationToken);
        return bytes.LongLength;
    }

    private static async Task<long> CopyCappedAsync(Stream source, string path, long maxBytes, CancellationToken cancellationToken)
    {
        await using var target = File.Create(path);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > maxBytes)
            {
                throw new FileTooLargeException();
            }

            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return total;
    }

    /// <summary>MP4 and MOV are ISO base media files: a box whose type is at bytes 4..8 (ftyp, moov, mdat, wide…).</summary>
    private static bool LooksLikeIsoMedia(ReadOnlySpan<byte> head) =>
        head.Length >= 8 && (head[4..8].SequenceEqual("ftyp"u8) || head[4..8].SequenceEqual("moov"u8)
                             || head[4..8].SequenceEqual("mdat"u8) || head[4..8].SequenceEqual("wide"u8));

    private static bool LooksLikeMp3OrWav(ReadOnlySpan<byte> head) =>
        (head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WAVE"u8))
        || (head.Length >= 3 && head[..3].SequenceEqual("ID3"u8))
        || (head.Length >= 2 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0);

    private sealed class FileTooLargeException : Exception;
}
