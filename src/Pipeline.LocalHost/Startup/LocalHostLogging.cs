using Pipeline.Core.Api;
using Pipeline.Core.Orchestrations;
using Pipeline.LocalHost.Console;

namespace Pipeline.LocalHost.Startup;

/// <summary>
/// The local host's console: one line a record with the time, the engine's harmless warnings left out
/// (<see cref="QuietConsoleLoggerProvider"/>), the frameworks' own records from Warning up.
/// </summary>
internal static class LocalHostLogging
{
    public static WebApplicationBuilder AddLocalHostLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.AddSimpleConsole(c =>
        {
            c.SingleLine = true;
            c.TimestampFormat = "HH:mm:ss ";
        });
        QuietConsoleLoggerProvider.ReplaceConsole(builder.Logging);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("System.Net.Http", LogLevel.Warning)
            .AddFilter("DurableTask", LogLevel.Warning).AddFilter("Grpc", LogLevel.Warning);

        // The console tells of jobs through JobProgressReporter, which keeps quiet about sidecars; the core's own line at
        // each job's start and end (kept for telemetry) would announce every sidecar's job as one that started and ended.
        builder.Logging.AddFilter<QuietConsoleLoggerProvider>(typeof(JobScheduler).FullName, LogLevel.Warning)
            .AddFilter<QuietConsoleLoggerProvider>(typeof(VideoJobOrchestrator).FullName, LogLevel.Warning);
        return builder;
    }
}
