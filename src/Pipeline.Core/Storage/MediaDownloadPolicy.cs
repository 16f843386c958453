using Microsoft.Extensions.Options;
using Pipeline.Core.Options;

namespace Pipeline.Core.Storage;

/// <summary>A download the pipeline refused to make (a host off the allow-list, or http where https is required).</summary>
public sealed class DownloadRefusedException : Exception
{
    public DownloadRefusedException()
    {
    }

    public DownloadRefusedException(string message)
        : base(message)
    {
    }

    public DownloadRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Which URLs the pipeline may download from: the configured media hosts, over https unless http is allowed.</summary>
public class MediaDownloadPolicy(IOptions<PipelineOptions> options)
{
    public virtual void EnsureAllowed(Uri url)
    {
        var o = options.Value;
        if (url.Scheme != Uri.UriSchemeHttps && !(o.AllowHttpDownloads && url.Scheme == Uri.UriSchemeHttp))
        {
            throw new DownloadRefusedException(
                $"refused to download from {url.Scheme}://{url.Host}: only https{(o.AllowHttpDownloads ? " or http" : "")} is allowed");
        }

        var host = url.IdnHost;
        var allowed = o.MediaHosts.Any(pattern => pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase) && host.Length > pattern.Length - 1
            : string.Equals(host, pattern, StringComparison.OrdinalIgnoreCase));
        if (!allowed)
        {
            throw new DownloadRefusedException(
                $"refused to download from {host}: not one of the allowed media hosts (Pipeline__MediaHosts)");
        }
    }
}
