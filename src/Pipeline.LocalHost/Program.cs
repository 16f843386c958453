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
int exitCode;
try
{
    exitCode = await oneShot.RunAsync(app.Services, app.Lifetime.ApplicationStopping);
}
catch (OperationCanceledException)
{
    exitCode = 130;
}

await app.StopAsync();
return exitCode;
