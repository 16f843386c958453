using Pipeline.Core.Jobs;

namespace Pipeline.LocalHost.OneShot;

/// <summary>
/// Copies a finished job's video from its URL (a short-lived read SAS) to a file: whole, or not at all, so that a path
/// the one-shot names always holds a complete video.
/// </summary>
public static class VideoDownload
{
    public static async Task SaveAsync(StoredVideo video, string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var partial = path + ".partial";
        try
        {
            using (var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) })
            using (var response = await http.GetAsync(video.Url, HttpCompletionOption.ResponseHeadersRead, cancellationToken))
            {
                response.EnsureSuccessStatusCode();
                await using var file = File.Create(partial);
                await response.Content.CopyToAsync(file, cancellationToken);
            }

            var length = new FileInfo(partial).Length;
            if (length != video.SizeBytes)
            {
                throw new IOException($"the video's URL gave {length} bytes of {video.SizeBytes}");
            }

            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }
}
