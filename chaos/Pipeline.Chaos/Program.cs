using Pipeline.Chaos;

// The chaos audit (see README, Security and reliability): prints the table; exits 1 on any violation.
var storage = Environment.GetEnvironmentVariable("PipelineStorage")
    ?? throw new InvalidOperationException(
        "set PipelineStorage to the storage's connection string (chaos/run.sh starts an Azurite of its own)");
var options = ChaosOptions.Parse(args, storage);
using var run = new ChaosRun(options, Console.WriteLine);
var report = await run.RunAsync(CancellationToken.None);
Console.WriteLine(report.Table());
if (args.SkipWhile(a => a != "--output").Skip(1).FirstOrDefault() is { } output)
{
    Directory.CreateDirectory(output);
    // A run with outages has a file of its own: latest.md stays the kills-only reference.
    var name = options.Outages is { Dependencies.Count: > 0 } ? "latest-outages.md" : "latest.md";
    await File.WriteAllTextAsync(Path.Combine(output, name), report.Table());
}

return report.Passed ? 0 : 1;
