using System.Text.Json.Nodes;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Contract;

/// <summary>
/// A client generated from the served OpenAPI document by a mainstream generator (npm openapi-typescript, with
/// openapi-fetch at run time), type-checked by tsc against the generated types, then run end to end against the host:
/// two variants of a job, their batch, and a refused request. The program is <c>tests/Client/client.ts</c>.
/// </summary>
public sealed class GeneratedClientTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    [Fact]
    public async Task AClientGeneratedFromTheDocument_CompilesAgainstIt_AndRunsAJobEndToEnd()
    {
        var root = AzuriteFixture.FindRepositoryRoot();
        Assert.True(
            Directory.Exists(Path.Combine(root, "node_modules", "openapi-typescript")),
            "node_modules/openapi-typescript is missing: run scripts/setup.sh");
        var work = Path.Combine(root, "tests", "Client", ".generated", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        try
        {
            await using var host = await PipelineTestHost.StartAsync(azurite);
            await File.WriteAllTextAsync(
                Path.Combine(work, "openapi.json"),
                await host.Http.GetStringAsync("/api/openapi.json", Token),
                Token);
            File.Copy(Path.Combine(root, "tests", "Client", "client.ts"), Path.Combine(work, "client.ts"));
            await File.WriteAllTextAsync(Path.Combine(work, "package.json"), """{ "type": "module" }""", Token);
            await File.WriteAllTextAsync(Path.Combine(work, "tsconfig.json"), """
                { "compilerOptions": { "strict": true, "target": "es2022", "module": "nodenext", "moduleResolution": "nodenext",
                  "outDir": "out", "skipLibCheck": true, "noEmitOnError": true }, "files": ["client.ts", "api.d.ts"] }
                """, Token);

            var limit = TimeSpan.FromMinutes(3);
            await NodeScript.RunAsync(
                limit,
                Path.Combine(root, "node_modules", "openapi-typescript", "bin", "cli.js"),
                Path.Combine(work, "openapi.json"),
                "-o",
                Path.Combine(work, "api.d.ts"));
            await NodeScript.RunAsync(
                limit,
                Path.Combine(root, "node_modules", "typescript", "bin", "tsc"),
                "-p",
                Path.Combine(work, "tsconfig.json"));
            var output = await NodeScript.RunAsync(limit, Path.Combine(work, "out", "client.js"), host.BaseAddress.ToString().TrimEnd('/'));

            var result = JsonNode.Parse(output.Trim().Split('\n')[^1])!;
            Assert.Equal(["succeeded", "succeeded"], result["statuses"]!.AsArray().Select(s => s!.GetValue<string>()));
            Assert.All(
                result["videos"]!.AsArray(),
                v => Assert.StartsWith("videos/jobs/", v!.GetValue<string>(), StringComparison.Ordinal));
            Assert.Equal(2, result["seeds"]!.AsArray().Select(s => s!.GetValue<long>()).Distinct().Count());
            Assert.Equal("gen-1", result["order"]!.GetValue<string>());
            Assert.Equal(2, result["batch"]!["total"]!.GetValue<int>());
            Assert.Equal(2, result["batch"]!["succeeded"]!.GetValue<int>());
            Assert.Equal(400, result["refused"]!.GetValue<int>());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
