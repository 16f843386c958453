namespace Pipeline.LocalHost;

/// <summary>Settings of the local host (section <c>LocalHost</c>; env <c>LocalHost__Port</c> …).</summary>
public sealed class LocalHostOptions
{
    public const string SectionName = "LocalHost";

    /// <summary>The environment variable the scripts and the README name the home folder by; <see cref="Home"/> wins when set.</summary>
    public const string HomeVariable = "PIPELINE_HOME";

    /// <summary>The HTTP API's port: <c>http://localhost:7071/api/...</c>, as <c>func start</c> would serve it.</summary>
    public int Port { get; set; } = 7071;

    /// <summary>
    /// Where the host listens: <c>localhost</c> (this machine only) by default; an address such as <c>0.0.0.0</c> opens it
    /// to the network, which with real fal behind it is refused unless <see cref="ApiKey"/> is set.
    /// </summary>
    public string Listen { get; set; } = "localhost";

    /// <summary>
    /// When set, <c>/api/videos</c> requires it in <c>x-functions-key</c> (or <c>?code=</c>), as function keys work in
    /// Azure; fal's webhook stays open (its signature is checked instead).
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The folder holding <c>inbox/</c>, <c>videos/</c> and <c>events.jsonl</c> (default: <see cref="HomeVariable"/>,
    /// else the current folder).
    /// </summary>
    public string Home { get; set; } = "";

    /// <summary>Run the fal emulator in this process (off: real fal, with <c>FAL_KEY</c>, or another <c>Fal__BaseUrl</c>).</summary>
    public bool UseEmulator { get; set; } = true;

    /// <summary>The emulator's port (0: any free port).</summary>
    public int EmulatorPort { get; set; } = 7072;

    /// <summary>The emulator's time factor: 1 behaves like fal (seconds of queue and generation); smaller is faster.</summary>
    public double EmulatorTimeScale { get; set; } = 0.25;

    /// <summary>How many requests the emulated fal runs at once (the rest wait in its queue).</summary>
    public int EmulatorRunners { get; set; } = 4;

    /// <summary>The task hub in Azurite's tables and queues; one per purpose, so tests never share a person's jobs.</summary>
    public string TaskHub { get; set; } = "localvideopipeline";

    /// <summary>How long an idle engine waits before looking for new work (Azure's default, 30 s, is far too slow here).</summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long a queue message taken by a process that then died stays invisible before another run picks it up again.
    /// Azure's default (5 min) suits a fleet; on one machine a restart should resume jobs within seconds.
    /// </summary>
    public TimeSpan QueueVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often jobs whose orchestration ended without settling them are settled (Azure: every minute).</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Where the host's traces and logs are exported: <c>off</c> (the console log only), <c>console</c> (every span and
    /// log record printed), or <c>otlp</c> (to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, default <c>http://localhost:4317</c>:
    /// Jaeger, the Aspire dashboard, any collector).
    /// </summary>
    public string Telemetry { get; set; } = "off";

    /// <summary>How often job events that Event Grid did not take are offered again, when due (Azure: every minute).</summary>
    public TimeSpan OutboxInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often finished jobs and usage past their retention are purged (Azure: every hour); the first run is at start.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the inbox container and the videos container are looked at.</summary>
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Where this machine reaches the host: <c>http://localhost:{Port}</c>, whatever it listens on.</summary>
    public string BaseUrl => $"http://localhost:{Port}";

    public string InboxFolder => Path.Combine(HomeFolder, "inbox");

    public string VideosFolder => Path.Combine(HomeFolder, "videos");

    public string EventsFile => Path.Combine(HomeFolder, "events.jsonl");

    public string HomeFolder => Path.GetFullPath(string.IsNullOrEmpty(Home) ? "." : Home);
}
