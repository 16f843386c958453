using Pipeline.LocalHost;

// The pipeline on one machine (see README): serve the API, the inbox/ and videos/ folders, or run one job and exit.
var (oneShot, hostArgs) = OneShotJob.Parse(args);
var (app, _) = await LocalPipelineHost.BuildAsync(hostArgs);
if (oneShot is null)
{
    await app.RunAsync();
    return 0;
}

await app.StartAsync();
OneShotOutcome outcome;
try
{
    outcome = await oneShot.RunAsync(app.Services, app.Lifetime.ApplicationStopping);
}
catch (OperationCanceledException)
{
    outcome = OneShotOutcome.Interrupted;
}

await app.StopAsync();
await app.DisposeAsync(); // flushes the console log, so that the outcome is the last line
await System.Console.Out.WriteLineAsync(outcome.Line);
return outcome.ExitCode;
