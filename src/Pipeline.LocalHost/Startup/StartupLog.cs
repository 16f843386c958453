using FalEmulator;

namespace Pipeline.LocalHost.Startup;

/// <summary>The local host's first lines: where to look, what it talks to, and whether jobs wait for webhooks.</summary>
internal static partial class StartupLog
{
    public static WebApplication LogStarting(this WebApplication app, LocalHostOptions options, FalEmulatorHost? emulator)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LocalHost");
        LogStarting(logger, options.BaseUrl, options.InboxFolder, options.VideosFolder, options.EventsFile,
            emulator is null ? "fal (real)" : $"the fal emulator at {emulator.BaseAddress}");
        if (emulator is null && app.Configuration["Pipeline:PublicBaseUrl"] is null)
        {
            LogPolling(logger);
        }

        return app;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Video pipeline: open {BaseUrl}/ in a browser (API on {BaseUrl}/api); "
        + "drop files into {Inbox}; videos appear in {Videos}; events in {Events}; talking to {Fal}")]
    private static partial void LogStarting(ILogger logger, string baseUrl, string inbox, string videos, string events, string fal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No public base URL (Pipeline__PublicBaseUrl): fal cannot send webhooks here, "
        + "so jobs complete by polling fal")]
    private static partial void LogPolling(ILogger logger);
}
