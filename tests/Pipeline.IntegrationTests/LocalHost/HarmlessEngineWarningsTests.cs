using Microsoft.Extensions.Logging;
using Pipeline.IntegrationTests.Support;
using Pipeline.LocalHost.Console;

namespace Pipeline.IntegrationTests.LocalHost;

/// <summary>
/// The console leaves out exactly the engine's two harmless warnings (an idle worker's reconnect, events discarded by a
/// finished job) and keeps every other warning of their categories.
/// </summary>
public sealed class HarmlessEngineWarningsTests
{
    private const string IdleReconnect = "Channel to backend has stopped receiving traffic, will attempt to reconnect.";
    private const string FinishedJobDiscards = "inbox-3f2a9c: Discarding 1 dequeued history event(s): Instance is Completed";

    public static TheoryData<string, LogLevel, int, string, bool> Warnings => new()
    {
        { HarmlessEngineWarnings.WorkerCategory, LogLevel.Warning, 56, IdleReconnect, true },
        { HarmlessEngineWarnings.LegacyWorkerCategory, LogLevel.Warning, 56, IdleReconnect, true },
        { HarmlessEngineWarnings.StorageBackendCategory, LogLevel.Warning, 139, FinishedJobDiscards, true },
        {
            HarmlessEngineWarnings.StorageBackendCategory, LogLevel.Warning, 139,
            "api-1: Discarding 2 dequeued history event(s): Instance is Completed", true
        },
        // the same categories' other warnings stay
        {
            HarmlessEngineWarnings.WorkerCategory, LogLevel.Warning, 21,
            "Received and dropped an unknown 'X' work-item from the sidecar.", false
        },
        {
            HarmlessEngineWarnings.StorageBackendCategory, LogLevel.Warning, 139,
            "api-1: Discarding 1 dequeued history event(s): Instance not found", false
        },
        {
            HarmlessEngineWarnings.StorageBackendCategory, LogLevel.Warning, 138,
            "api-1: Split brain detected: Another worker already updated the history for this instance - "
            + "the 1 history event result(s) will be discarded", false
        },
        // the same text at another level or from another category stays
        { HarmlessEngineWarnings.WorkerCategory, LogLevel.Error, 56, IdleReconnect, false },
        { "Pipeline.Core.Api.JobScheduler", LogLevel.Warning, 56, IdleReconnect, false },
    };

    [Theory]
    [MemberData(nameof(Warnings))]
    public void IsHarmless_OnlyForTheIdleReconnectAndTheFinishedJobsDiscards(
        string category, LogLevel level, int eventId, string message, bool harmless) =>
        Assert.Equal(harmless, HarmlessEngineWarnings.IsHarmless(category, level, new EventId(eventId), message));

    [Fact]
    public void QuietConsole_PassesOnEverythingButTheHarmlessWarnings()
    {
        var console = new CapturingLoggerProvider();
        using var quiet = new QuietConsoleLoggerProvider(console);

        Write(quiet, HarmlessEngineWarnings.LegacyWorkerCategory, LogLevel.Warning, new EventId(56, "ConnectionTimeout"), IdleReconnect);
        Write(quiet, HarmlessEngineWarnings.StorageBackendCategory, LogLevel.Warning, new EventId(139, "DiscardingWorkItem"),
            FinishedJobDiscards);
        Write(quiet, HarmlessEngineWarnings.StorageBackendCategory, LogLevel.Warning, new EventId(138, "SplitBrainDetected"),
            "api-1: Split brain detected");
        Write(quiet, "LocalHost", LogLevel.Information, default, "Video pipeline: open http://localhost:7071/");

        Assert.Equal(
            [
                $"Warning {HarmlessEngineWarnings.StorageBackendCategory}: api-1: Split brain detected ",
                "Information LocalHost: Video pipeline: open http://localhost:7071/ ",
            ],
            console.Lines);
    }

    /// <summary>A line as the engine writes one: a message with its category, level and event id.</summary>
    private static void Write(QuietConsoleLoggerProvider provider, string category, LogLevel level, EventId eventId, string message) =>
        provider.CreateLogger(category).Log(level, eventId, message, null, (text, _) => text);
}
