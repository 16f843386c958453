namespace FalEmulator.Options;

/// <summary>
/// Settings of one emulator instance (configuration section <c>FalEmulator</c>, or set in code by tests).
/// Every duration is in emulated ("fal") time and is multiplied by <see cref="TimeScale"/> before the emulator waits.
/// </summary>
public sealed class FalEmulatorOptions
{
    public const string SectionName = "FalEmulator";

    /// <summary>Keys accepted in <c>Authorization: Key &lt;key&gt;</c>. fal keys look like <c>id:secret</c>.</summary>
    public List<string> ApiKeys { get; set; } = ["emulator-key-id:emulator-key-secret"];

    /// <summary>
    /// Admin keys accepted by the platform API (<c>DELETE /v1/models/requests/{id}/payloads</c>); queue keys are refused there.
    /// </summary>
    public List<string> AdminKeys { get; set; } = ["emulator-admin-id:emulator-admin-secret"];

    /// <summary>Real seconds per emulated second: 1 behaves like fal, 0.01 makes a 5 s generation take 50 ms.</summary>
    public double TimeScale { get; set; } = 1.0;

    /// <summary>Least time a request spends IN_QUEUE before a runner takes it.</summary>
    public TimeSpan QueueLatency { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Least time a request spends IN_PROGRESS (rendering counts towards it).</summary>
    public TimeSpan RunLatency { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>How many requests run at once; the rest wait IN_QUEUE with a queue_position.</summary>
    public int Runners { get; set; } = 4;

    /// <summary>Faults applied to every request (same syntax as the per-request header/prompt marker); empty for none.</summary>
    public string DefaultFaults { get; set; } = "";

    /// <summary>User id sent in <c>X-Fal-Webhook-User-Id</c> and signed into every webhook.</summary>
    public string WebhookUserId { get; set; } = "emulator-user";

    /// <summary>Ed25519 private key seed (32 bytes, base64) for webhook signatures; empty: a new key per process.</summary>
    public string WebhookSigningKeySeed { get; set; } = "";

    /// <summary>fal gives each delivery 15 s before it counts as failed.</summary>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>fal retries a failed delivery up to 10 times over about two hours.</summary>
    public int WebhookMaxRetries { get; set; } = 10;

    /// <summary>First retry delay; each later one doubles (7 s doubling ten times spans about two hours).</summary>
    public TimeSpan WebhookFirstRetryDelay { get; set; } = TimeSpan.FromSeconds(7);

    /// <summary>ffmpeg executable (a name on PATH or a path). When it cannot be run, committed clips are served.</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";

    /// <summary>Folder for rendered videos and fetched inputs; empty: a new folder under the system temp folder.</summary>
    public string WorkDirectory { get; set; } = "";

    /// <summary>Largest input file the emulator downloads (fal documents 30 MB per image).</summary>
    public long MaxInputBytes { get; set; } = 30L * 1024 * 1024;

    /// <summary>
    /// The base of the output file URLs the emulator hands out (<c>{FilesBaseUrl}/files/{id}/output.mp4</c>), as fal's
    /// files live on a CDN host of their own; empty: the address the request was submitted to.
    /// </summary>
    public string FilesBaseUrl { get; set; } = "";

    /// <summary>Timeout for fetching one input URL.</summary>
    public TimeSpan InputFetchTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Scales a duration of emulated time into the real time to wait.</summary>
    public TimeSpan Scale(TimeSpan emulated) => TimeSpan.FromTicks((long)(emulated.Ticks * TimeScale));
}
