using Microsoft.Extensions.Options;
using Pipeline.Core.Options;

namespace Pipeline.Core.Webhooks;

/// <summary>
/// The URL fal posts a job's webhook to: the job id rides in the query, so a delivery always finds its job, with the
/// job's <see cref="WebhookToken"/>, so that only this app's own submit can name the job.
/// </summary>
public class WebhookUrls(IOptions<PipelineOptions> options, WebhookToken tokens)
{
    public const string Path = "api/fal/webhook";

    /// <summary>The job's webhook URL, or null when the app has no public base URL (jobs then complete by polling).</summary>
    public virtual Uri? ForJob(string jobId) =>
        options.Value.PublicBaseUrl is { } baseUrl
            ? new Uri($"{baseUrl.ToString().TrimEnd('/')}/{Path}?job={Uri.EscapeDataString(jobId)}&token={tokens.For(jobId)}")
            : null;
}
