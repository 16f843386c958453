using Pipeline.LocalHost;
using Pipeline.LocalHost.OneShot;

// The pipeline on one machine (see README): serve the API, the inbox/ and videos/ folders, or run one job and exit.
using var stopSignals = StopSignals.Listen();
var arguments = OneShotArguments.Parse(args);
if (arguments.Problem is not null || arguments.Job is not null)
{
    var outcome = arguments.Job is null
        ? OneShotOutcome.Refused(arguments.Problem!)
        : await OneShotRun.RunAsync(arguments.Job, arguments.HostArgs, stopSignals.Requested);
    await System.Console.Out.WriteLineAsync(outcome.Line);
    return outcome.ExitCode;
}

return await ServingHost.RunAsync(arguments.HostArgs, stopSignals.Requested);
