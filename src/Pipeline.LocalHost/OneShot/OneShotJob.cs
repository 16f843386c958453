using System.Globalization;
using System.Text.Json.Nodes;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;
using Pipeline.Core.Inbox;

namespace Pipeline.LocalHost.OneShot;

/// <summary>
/// <c>run.sh photo.jpg [--prompt "…"] [--sidecar photo.json]</c> or <c>run.sh --prompt "…"</c>: one job, named
/// <c>oneshot/&lt;stamp&gt;-&lt;image name or prompt slug&gt;</c>, whose video is
/// <c>videos/oneshot/&lt;stamp&gt;-&lt;name&gt;.mp4</c> whichever host runs it (<see cref="InboxDrop"/>,
/// <see cref="ApiDelegation"/>).
/// </summary>
public sealed record OneShotJob(string? ImagePath, string? Prompt, string? SidecarPath)
{
    /// <summary>
    /// What can be known before any host starts: the image and the sidecar exist and can be read, the image is one the
    /// pipeline takes, the sidecar is a JSON object (returned, parsed).
    /// </summary>
    public async Task<(JsonObject? Sidecar, string? Problem)> CheckAsync(CancellationToken cancellationToken)
    {
        if (ImagePath is not null)
        {
            if (Unreadable(ImagePath) is { } problem)
            {
                return (null, problem);
            }

            if (!InboxReader.IsImage(ImagePath))
            {
                return (null, $"{ImagePath} starts no job (only .jpg, .jpeg, .png, .webp, .heic and .heif photos do)");
            }
        }

        if (SidecarPath is null)
        {
            return (null, null);
        }

        if (Unreadable(SidecarPath) is { } sidecarProblem)
        {
            return (null, sidecarProblem);
        }

        try
        {
            await using var file = File.OpenRead(SidecarPath);
            return await RequestJson.ReadAsync(file, InboxJson.MaxBytes, cancellationToken) switch
            {
                RequestJson.Read.Parsed { Node: JsonObject sidecar } => (sidecar, null),
                RequestJson.Read.Parsed => (null, $"{SidecarPath} must hold a JSON object"),
                RequestJson.Read.Invalid invalid => (null, $"{SidecarPath} is not valid JSON: {invalid.Problem}"),
                _ => (null, $"{SidecarPath} is larger than 256 KB; a sidecar is a few lines of JSON"),
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"cannot read {SidecarPath}: {e.Message}");
        }
    }

    /// <summary>
    /// <c>oneshot/20261202-101500-harbour.jpg</c> for an image, <c>oneshot/20261202-101500-northern-lights-over-a-lake.json</c>
    /// for a prompt.
    /// </summary>
    public string DropName(DateTime now) =>
        string.Create(CultureInfo.InvariantCulture, $"oneshot/{now:yyyyMMdd-HHmmss}-")
        + (ImagePath is not null ? Path.GetFileName(ImagePath) : Slug(Prompt ?? "") + ".json");

    /// <summary>Where the drop <paramref name="dropName"/>'s video is: <c>videos/oneshot/&lt;stamp&gt;-&lt;name&gt;.mp4</c>.</summary>
    public static string VideoPath(LocalHostOptions options, string dropName) =>
        Path.Combine(options.VideosFolder, InboxReader.OutputBlobFor(dropName).Replace('/', Path.DirectorySeparatorChar));

    /// <summary>The prompt's first words in lower case, joined by hyphens (at most 40 characters), for a file name.</summary>
    public static string Slug(string prompt)
    {
        var words = new string([.. prompt.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : ' ')])
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var slug = "";
        foreach (var word in words)
        {
            var longer = slug.Length == 0 ? word : $"{slug}-{word}";
            if (longer.Length > 40)
            {
                break;
            }

            slug = longer;
        }

        return slug.Length > 0 ? slug : "prompt";
    }

    /// <summary>Why the file cannot be read, if it cannot: missing, a folder, or closed to this user.</summary>
    private static string? Unreadable(string path)
    {
        if (Directory.Exists(path))
        {
            return $"{path} is a folder, not a file";
        }

        if (!File.Exists(path))
        {
            return $"no such file: {path}";
        }

        try
        {
            File.OpenRead(path).Dispose();
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot read {path}: {e.Message}";
        }
    }
}
