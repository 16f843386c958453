using System.ComponentModel.DataAnnotations;

namespace Pipeline.Core.Fal;

/// <summary>Settings of <see cref="FalQueueClient"/> (configuration section <c>Fal</c>; the key comes from <c>FAL_KEY</c>).</summary>
public sealed class FalQueueClientOptions
{
    public const string SectionName = "Fal";

    /// <summary>fal's queue host; tests and the local host point it at the fal emulator.</summary>
    [Required]
    public Uri BaseUrl { get; set; } = new("https://queue.fal.run");

    /// <summary>
    /// The fal key (<c>id:secret</c>), bound from the <c>FAL_KEY</c> setting by the registration code, not from this
    /// section. It is only ever sent in the <c>Authorization</c> header: never logged, never in an exception.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>Time allowed for one HTTP attempt (sending and reading the answer); each retry gets a fresh one.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after a transient failure (429, 5xx gateway errors, network errors, timeouts); 0 disables them.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 4;

    /// <summary>Delay before the first retry; each later one doubles (±25% jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between two attempts, also the cap on a server's <c>Retry-After</c>.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The only hosts the fal key is sent to, besides those of <see cref="BaseUrl"/> and <see cref="AdminBaseUrl"/>.
    /// Status, result and cancel URLs come from fal's answers; one naming another host is refused without the key.
    /// </summary>
    public List<string> AllowedHosts { get; set; } = ["queue.fal.run"];

    /// <summary>
    /// A fal admin key (<c>FAL_ADMIN_KEY</c>): when set, a request's payloads and output files are deleted at fal once
    /// the video is in Blob Storage. Without it outputs expire at fal by the retention the submit asked for.
    /// </summary>
    public string? AdminKey { get; set; }

    /// <summary>fal's platform API: payloads are deleted there (admin key) and the request history read (fal key).</summary>
    [Required]
    public Uri AdminBaseUrl { get; set; } = new("https://api.fal.ai");

    /// <summary>
    /// How long fal keeps a request's output files (<c>X-Fal-Object-Lifecycle-Preference</c>); must outlast the job's
    /// deadline so that a job that waits long still finds its video. A version 3 job copies a finished video (on durable
    /// timers, through any outage of storage or of fal's file host) until this long after fal finished it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan OutputRetention { get; set; } = TimeSpan.FromHours(24);
}
