using System.Text.Json.Nodes;
using Pipeline.Core.Options;

namespace Pipeline.LocalHost.OneShot;

/// <summary>
/// One job and exit, whatever already runs on this machine. Its files are checked before anything starts; a serving
/// local host on the configured port takes the job through its API (<see cref="ApiDelegation"/>); otherwise this
/// process runs a host of its own (<see cref="InboxDrop"/>) on the configured ports, or on free ones when another
/// program holds them (<see cref="HostPorts"/>). It never throws: every end is a <see cref="OneShotOutcome"/>.
/// </summary>
public static partial class OneShotRun
{
    public static async Task<OneShotOutcome> RunAsync(OneShotJob job, string[] hostArgs, CancellationToken stop)
    {
        using var console = LoggerFactory.Create(log => log.AddSimpleConsole(c =>
        {
            c.SingleLine = true;
            c.TimestampFormat = "HH:mm:ss "; // as the host's own lines
        }));
        var logger = console.CreateLogger("Pipeline.LocalHost.OneShot");
        try
        {
            return await ChooseAndRunAsync(job, hostArgs, logger, stop);
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: whatever call the stop cut short (a gRPC call reports it as its own Cancelled status),
            // the run was interrupted; it did not crash.
            return OneShotOutcome.Interrupted;
        }
        catch (Exception e)
        {
            // Past the paths above, which end a started job themselves, nothing has started: said in the last line.
            LogFailed(logger, e.Message);
            return OneShotOutcome.Refused($"the one-shot could not start: {e.Message}");
        }
    }

    private static async Task<OneShotOutcome> ChooseAndRunAsync(OneShotJob job, string[] hostArgs, ILogger logger, CancellationToken stop)
    {
        var (sidecar, problem) = await job.CheckAsync(stop);
        if (problem is not null)
        {
            return OneShotOutcome.Refused(problem);
        }

        IConfiguration configuration;
        LocalHostOptions options;
        try
        {
            configuration = LocalPipelineHost.ConfigurationOf(hostArgs);
            options = LocalPipelineHost.OptionsOf(configuration);
        }
        catch (InvalidOperationException e)
        {
            return OneShotOutcome.Refused($"a setting is wrong: {e.Message}");
        }

        var now = DateTime.UtcNow; // the stamp of the one-shot's name
        switch (await RunningLocalHost.FindAsync(options, stop))
        {
            case RunningLocalHost.Found.Serving serving:
                using (serving.Host)
                {
                    var defaultPrompt = configuration[$"{PipelineOptions.SectionName}:{nameof(PipelineOptions.DefaultPrompt)}"]
                                        ?? new PipelineOptions().DefaultPrompt;
                    var videoPath = OneShotJob.VideoPath(options, job.DropName(now));
                    return await DelegateAsync(job, sidecar, defaultPrompt, serving.Host, videoPath, logger, stop);
                }

            case RunningLocalHost.Found.Unusable unusable:
                return OneShotOutcome.Refused(unusable.Problem);
            case RunningLocalHost.Found.None none:
                string[] moved = [];
                if (HostPorts.Taken(options) is { } taken)
                {
                    LogPortsTaken(logger, taken, none.Occupant ?? "another program");
                    moved = HostPorts.FreeOnes();
                }

                return await RunOwnHostAsync(job, [.. hostArgs, .. moved], now, logger, stop);
            default:
                throw new InvalidOperationException("a host is either found or not");
        }
    }

    private static async Task<OneShotOutcome> DelegateAsync(
        OneShotJob job, JsonObject? sidecar, string defaultPrompt, RunningLocalHost host, string videoPath, ILogger logger,
        CancellationToken stop)
    {
        var (request, problem) = ApiRequest.For(job, sidecar, defaultPrompt);
        if (request is null)
        {
            return OneShotOutcome.Refused(problem!);
        }

        using (request)
        {
            var delegation = new ApiDelegation(host, logger);
            try
            {
                return await delegation.RunAsync(request, videoPath, stop);
            }
            catch (Exception) when (stop.IsCancellationRequested && delegation.JobId is { } id)
            {
                LogLeftRunning(logger, id, host.BaseAddress);
                return OneShotOutcome.Interrupted;
            }
            catch (HttpRequestException e) when (delegation.JobId is null)
            {
                return OneShotOutcome.Refused($"the local host at {host.BaseAddress} did not take the job: {e.Message}");
            }
        }
    }

    private static async Task<OneShotOutcome> RunOwnHostAsync(
        OneShotJob job, string[] hostArgs, DateTime now, ILogger logger, CancellationToken stop)
    {
        WebApplication app;
        try
        {
            (app, _) = await LocalPipelineHost.BuildAsync(hostArgs, oneShot: true);
        }
        catch (Exception e) when (!stop.IsCancellationRequested)
        {
            return OneShotOutcome.Refused($"the local host could not start: {e.Message}");
        }

        using var stopOnSignal = stop.Register(app.Lifetime.StopApplication);
        var stopping = app.Lifetime.ApplicationStopping;
        var drop = new InboxDrop(job, app.Services, logger);
        OneShotOutcome outcome;
        try
        {
            await app.StartAsync(stopping);
            outcome = await drop.RunAsync(now, stopping);
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            outcome = OneShotOutcome.Interrupted;
        }
        catch (Exception e)
        {
            LogFailed(logger, e.Message);
            outcome = drop.JobId is { } id
                ? OneShotOutcome.Unfinished(id, e.Message)
                : OneShotOutcome.Refused($"the local host could not start the job: {e.Message}");
        }

        try
        {
            await app.StopAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is OperationCanceledException or AggregateException or InvalidOperationException)
        {
            LogStopFailed(logger, e.Message); // a host that failed to start may fail to stop: the outcome stands
        }

        await app.DisposeAsync(); // flushes the host's console log, so that the outcome is the last line
        return outcome;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Ports} taken by {Occupant}: this one-shot's host takes free ports")]
    private static partial void LogPortsTaken(ILogger logger, string ports, string occupant);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "job {JobId} goes on in the local host at {BaseAddress}; its video will be in that host's videos/")]
    private static partial void LogLeftRunning(ILogger logger, string jobId, Uri baseAddress);

    [LoggerMessage(Level = LogLevel.Error, Message = "the one-shot failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the one-shot's host did not stop in order: {Reason}")]
    private static partial void LogStopFailed(ILogger logger, string reason);
}
