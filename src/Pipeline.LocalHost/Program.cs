using Pipeline.LocalHost;

// The pipeline on one machine (see README): serve the API, the inbox/ and videos/ folders, or run one job and exit.
using var stopSignals = StopSignals.Listen();
var (oneShot, hostArgs) = OneShotJob.Parse(args);
var (app, _) = await LocalPipelineHost.BuildAsync(hostArgs);
using var stopOnSignal = stopSignals.Requested.Register(app.Lifetime.StopApplication);
var stopping = app.Lifetime.ApplicationStopping;
if (oneShot is null)
{
    try
    {
        await app.RunAsync();
    }
    catch (OperationCanceledException) when (stopping.IsCancellationRequested)
    {
        // stopped while it started
    }

    return 0;
}

OneShotOutcome outcome;
try
{
    await app.StartAsync();
    outcome = await oneShot.RunAsync(app.Services, stopping);
}
catch (Exception) when (stopping.IsCancellationRequested)
{
    // Ctrl+C or SIGTERM: whatever call the stop cut short (a gRPC call reports it as its own Cancelled status), the run
    // was interrupted; it did not crash.
    outcome = OneShotOutcome.Interrupted;
}

await app.StopAsync();
await app.DisposeAsync(); // flushes the console log, so that the outcome is the last line
await System.Console.Out.WriteLineAsync(outcome.Line);
return outcome.ExitCode;
