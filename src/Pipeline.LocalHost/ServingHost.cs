using Pipeline.LocalHost.OneShot;

namespace Pipeline.LocalHost;

/// <summary>
/// <c>run.sh</c> alone: the host serves until Ctrl+C or SIGTERM, a clean stop (exit 0). A host that cannot start — its
/// ports held by a local host already running or by another program, a setting that is wrong — says why in one line on
/// stderr and exits 1, rather than with a stack trace; its ports are looked at before anything starts.
/// </summary>
public static class ServingHost
{
    public static async Task<int> RunAsync(string[] hostArgs, CancellationToken stop)
    {
        try
        {
            var options = LocalPipelineHost.OptionsOf(LocalPipelineHost.ConfigurationOf(hostArgs));
            var found = await RunningLocalHost.FindAsync(options, stop);
            (found as RunningLocalHost.Found.Serving)?.Host.Dispose();
            if (found is RunningLocalHost.Found.Serving or RunningLocalHost.Found.Unusable)
            {
                return await CannotStartAsync($"a local host already runs at http://localhost:{options.Port}/: open it, or stop it first");
            }

            if (HostPorts.Taken(options) is { } taken)
            {
                var occupant = (found as RunningLocalHost.Found.None)?.Occupant ?? "another program";
                return await CannotStartAsync(
                    $"{taken} taken by {occupant}: stop it, or choose others (LocalHost:Port, LocalHost:EmulatorPort)");
            }
        }
        catch (InvalidOperationException e)
        {
            return await CannotStartAsync($"a setting is wrong: {e.Message}");
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0; // stopped before it started
        }
        catch (Exception e)
        {
            return await CannotStartAsync(e.Message);
        }

        WebApplication app;
        try
        {
            (app, _) = await LocalPipelineHost.BuildAsync(hostArgs);
        }
        catch (Exception e) when (!stop.IsCancellationRequested)
        {
            return await CannotStartAsync(e.Message);
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            return 0; // stopped while it was built
        }

        using var stopOnSignal = stop.Register(app.Lifetime.StopApplication);
        var stopping = app.Lifetime.ApplicationStopping;
        try
        {
            await app.RunAsync();
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // stopped while it started
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            return await CannotStartAsync(e.Message); // the host has logged it in full
        }

        return 0;
    }

    private static async Task<int> CannotStartAsync(string reason)
    {
        await System.Console.Error.WriteLineAsync($"the local host cannot start: {reason}");
        return 1;
    }
}
