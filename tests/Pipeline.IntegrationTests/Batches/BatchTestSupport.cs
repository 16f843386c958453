using System.Text.Json.Nodes;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Batches;

/// <summary>Waiting on a batch as a user would: its counts through the API, its results file in the videos container.</summary>
internal static class BatchTestSupport
{
    private static CancellationToken Token => PipelineTestHost.Token;

    /// <summary>A folder of its own per test, in the shared inbox.</summary>
    public static string Folder() => "b" + Guid.NewGuid().ToString("N")[..12];

    public static async Task<JsonObject> WaitForBatchAsync(PipelineTestHost host, string batchId, int expectedTotal)
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(90);
        while (true)
        {
            using var response = await host.Http.GetAsync($"/api/batches/{batchId}", Token);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!.AsObject();
            if (response.IsSuccessStatusCode && body["total"]!.GetValue<int>() >= expectedTotal && body["remaining"]!.GetValue<int>() == 0)
            {
                return body;
            }

            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException($"batch {batchId} did not finish: {body.ToJsonString()}");
            }

            await Task.Delay(200, Token);
        }
    }

    /// <summary>The results file's rows as maps of its header's columns, once every row has ended (none pending).</summary>
    public static async Task<List<Dictionary<string, string>>> WaitForResultsAsync(PipelineTestHost host, string blob, int rows)
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            var client = host.VideoBlob(blob);
            if (await client.ExistsAsync(Token))
            {
                var lines = (await client.DownloadContentAsync(Token)).Value.Content
                    .ToString()
                    .Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
                var header = lines[0].Split(',');
                var parsed = lines.Skip(1).Select(l => header.Zip(SplitCsv(l)).ToDictionary(p => p.First, p => p.Second)).ToList();
                if (parsed.Count == rows && parsed.All(r => r["status"] != "pending"))
                {
                    return parsed;
                }
            }

            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException($"{blob} did not list {rows} ended rows");
            }

            await Task.Delay(200, Token);
        }
    }

    private static List<string> SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"')
            {
                cell.Append('"');
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        cells.Add(cell.ToString());
        return cells;
    }
}
