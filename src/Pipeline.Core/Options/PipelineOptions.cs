using System.ComponentModel.DataAnnotations;

namespace Pipeline.Core.Options;

/// <summary>Settings of the pipeline (section <c>Pipeline</c>; in app settings <c>Pipeline__WebhookWait</c> and so on).</summary>
public sealed class PipelineOptions
{
    public const string SectionName = "Pipeline";

    /// <summary>
    /// The public base URL of this app, to which fal posts webhooks (<c>{PublicBaseUrl}/api/fal/webhook?job=…</c>).
    /// Without it jobs are submitted with no webhook and complete by polling.
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>
    /// The base URL clients reach the API at, for <c>Location</c> and <c>status_url</c> (default: <see cref="PublicBaseUrl"/>;
    /// without either they are relative). Never taken from a request's <c>Host</c> header, which its sender chooses.
    /// </summary>
    public Uri? ApiBaseUrl { get; set; }

    /// <summary>How long a job waits for fal's webhook before it first asks fal for the status.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "1.00:00:00")]
    public TimeSpan WebhookWait { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>After the first wait, how often a job asks fal for the status while it still waits for the webhook.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "1.00:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A job not finished at fal by then is cancelled there and fails with <c>deadline_exceeded</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan JobDeadline { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// A submit that reached fal but whose answer was lost is not sent again blindly: the job first waits this long for
    /// fal's webhook (which names the job). Longer than fal's queue and generation time, or a job may be billed twice.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "1.00:00:00")]
    public TimeSpan UnconfirmedSubmitWait { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a job waits for fal to come back when a submit certainly reached nothing (fal refused the connection, its
    /// name did not resolve, or it answered 429/5xx without taking the request), trying again on durable timers (5 s,
    /// doubling to 5 min). The job shows <c>waiting_for_fal</c> meanwhile; the wait does not count against
    /// <see cref="JobDeadline"/>. A failure to read the job's inputs before anything was sent waits the same.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan FalUnavailableWait { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long an image dropped without its sidecar waits for one uploaded just after it — only in a folder where
    /// sidecars have been dropped before, and only when the image has no <c>prompt</c> metadata; other images go at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan SidecarGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// What a manifest with invalid rows does: <see cref="ManifestInvalidRows.Refuse"/> starts nothing and lists every
    /// row's errors in its marker; <see cref="ManifestInvalidRows.Skip"/> runs the valid rows and lists the others in
    /// its results file.
    /// </summary>
    public ManifestInvalidRows ManifestInvalidRows { get; set; } = ManifestInvalidRows.Refuse;

    /// <summary>
    /// How long a <c>.json</c> dropped alone waits for an image of its name before it runs as a job of its own (it is that
    /// image's sidecar if the image comes): a sidecar uploaded up to this long before its image is never billed twice.
    /// A <c>.json</c> whose <c>mode</c> is <c>text-to-video</c> (which takes no image) runs at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan LoneRequestWait { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How old an open job must be before the reconciler looks at it: longer than a job takes from being marked open to
    /// its orchestration being scheduled.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ReconcileAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a finished job is kept: its Durable history (status, result), its index entry and its submit records.
    /// After that the housekeeping purge removes them, and its idempotency key may start a new job. Videos are never purged.
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan JobRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The prompt of an image dropped with neither a sidecar nor a <c>prompt</c> metadata entry.</summary>
    [Required]
    public string DefaultPrompt { get; set; } = "Bring this picture to life with gentle, natural camera motion.";

    /// <summary>How long the read-only SAS URLs fal fetches inbox files with stay valid (fal may queue a while).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan InputSasLifetime { get; set; } = TimeSpan.FromHours(2);

    /// <summary>
    /// Keep the location (EXIF GPS) of a photo the pipeline copies upright for fal (HEIC, a sideways JPEG); by default
    /// every copy leaves the location out. Photos that need no copy go as they are.
    /// </summary>
    public bool KeepPhotoLocation { get; set; }

    /// <summary>Send inbox files to fal as base64 data URIs instead of SAS URLs (storage fal cannot reach, e.g. Azurite).</summary>
    public bool SendInputsAsDataUris { get; set; }

    /// <summary>How long the read SAS URL of a finished video in the status API stays valid; zero gives the plain blob URL.</summary>
    public TimeSpan VideoUrlSasLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Hosts the pipeline downloads videos from (fal's CDN); <c>*.example.com</c> matches subdomains. Anything else is
    /// refused, redirects included, so a forged result URL cannot make the app fetch internal addresses.
    /// </summary>
    public List<string> MediaHosts { get; set; } = ["fal.media", "*.fal.media", "storage.googleapis.com"];

    /// <summary>Allow plain-http downloads (local emulator only).</summary>
    public bool AllowHttpDownloads { get; set; }

    /// <summary>The <c>source</c> of the pipeline's CloudEvents.</summary>
    [Required]
    public string EventSource { get; set; } = "/video-pipeline";
}

/// <summary>What a manifest with invalid rows does (<c>Pipeline:ManifestInvalidRows</c>).</summary>
public enum ManifestInvalidRows
{
    /// <summary>Nothing is started; the marker lists every row's errors.</summary>
    Refuse,

    /// <summary>The valid rows run; the others are listed, with their errors, in the results file.</summary>
    Skip,
}
