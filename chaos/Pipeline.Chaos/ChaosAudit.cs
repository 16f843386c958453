using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Pipeline.Chaos;

/// <summary>One broken promise: the job, and what was wrong.</summary>
public sealed record Violation(string JobId, string Scenario, string Problem);

/// <summary>
/// What the audit found: the violations, per job the fal requests and terminal events it counted, and per outage the
/// jobs it met and their violations.
/// </summary>
public sealed record AuditResult(
    IReadOnlyList<Violation> Violations,
    IReadOnlyDictionary<string, int> FalRequests,
    int TerminalEvents,
    int Videos,
    IReadOnlyList<OutageExposure> Outages)
{
    /// <summary>Requests fal ended because it could not download the job's own inputs (made nothing; sent again).</summary>
    public int InputsNotFetched { get; init; }
}

/// <summary>
/// Every job checked against fal's own record (the emulator's requests, by the job named in their webhook URL), the
/// events file and storage:
/// <list type="number">
/// <item>it ended, as its scenario must (a video unless fal failed it), and the status API says so;</item>
/// <item>fal accepted exactly one request for it (none for a sidecar that fed its image's job), and that request is in
/// its <c>fal_request_ids</c>; a sidecar's prompt went to fal in its image's request. A request fal ended with
/// <c>file_download_error</c> (it could not download the job's own inputs while storage was away; nothing was made) is
/// counted apart: the job submits again by design;</item>
/// <item>exactly one terminal CloudEvent id, of its outcome's type, and one <c>Submitted</c> id when fal had it;</item>
/// <item>a video iff fal made one: whole (fal's size, an MP4 box first), under its output name, naming fal's request;
/// no other video in the container;</item>
/// <item>nothing held: no job left open, no concurrency slot taken, a usage entry for each job fal had and no other.</item>
/// </list>
/// A job that did not end as it should names the outages it was in flight during: the pipeline must outlast them.
/// </summary>
public sealed class ChaosAudit(HttpClient http, BlobServiceClient storage, string emulatorUrl, string emulatorKey, string home)
{
    private static readonly string[] TerminalTypes =
        ["Pipeline.VideoJob.Succeeded", "Pipeline.VideoJob.Failed", "Pipeline.VideoJob.Cancelled"];

    /// <param name="outages">The run's outages, in time since <paramref name="began"/>.</param>
    public async Task<AuditResult> RunAsync(
        IReadOnlyList<ChaosJob> jobs, bool settled, IReadOnlyList<OutageWindow> outages, DateTimeOffset began,
        CancellationToken cancellationToken)
    {
        var violations = new List<Violation>();
        var requests = await FalRequestsAsync(cancellationToken);
        var events = Events();
        var videos = await VideosAsync(cancellationToken);
        var falRequests = new Dictionary<string, int>(StringComparer.Ordinal);
        var terminalEvents = 0;
        var refetched = 0;

        foreach (var job in jobs)
        {
            void Fail(string problem) => violations.Add(new Violation(job.Id ?? job.Token, job.Scenario.Name, problem));
            var id = job.Id!;
            var status = job.Status?["status"]?.GetValue<string>();
            var expected = job.Scenario.Succeeds ? "succeeded" : "failed";
            if (status != expected)
            {
                var met = OutageExposure.Met(job, outages, began).ToList();
                var error = $"{job.Status?["error"]?["code"]}: {job.Status?["error"]?["message"]}";
                var during = met.Count == 0 ? "" : $"; in flight during {string.Join(", ", met)}";
                Fail($"ended {status ?? "never"} ({error}), expected {expected}{during}");
            }

            // 2. fal billed it once. A request fal ended because it could not download the job's own inputs (storage was
            // away) made nothing and is submitted again by design: counted apart, not as a bill.
            var all = requests.Where(r => JobOf(r) == id).ToList();
            var mine = all.Where(r => !CouldNotFetchInputs(r)).ToList();
            falRequests[id] = mine.Count;
            refetched += all.Count - mine.Count;
            if (mine.Count != 1)
            {
                Fail($"{mine.Count} fal requests accepted, expected 1 ({string.Join(", ", mine.Select(r => r["request_id"]))})");
            }

            var recorded = job.Status?["fal_request_ids"]?.AsArray().Select(n => n!.GetValue<string>()).ToHashSet() ?? [];
            foreach (var request in mine.Where(r => !recorded.Contains(r["request_id"]!.GetValue<string>())))
            {
                Fail($"fal request {request["request_id"]} is not in fal_request_ids");
            }

            if (job.SidecarId is { } sidecar)
            {
                if (job.SidecarStatus?["error"]?["code"]?.GetValue<string>() != "superseded")
                {
                    Fail($"its sidecar's job ended {job.SidecarStatus?["status"]} ({job.SidecarStatus?["error"]?["code"]}), "
                        + "expected superseded");
                }

                if (requests.Any(r => JobOf(r) == sidecar))
                {
                    Fail("its sidecar was sent to fal as a job of its own");
                }
            }

            // 3. One outcome, announced once.
            var mineEvents = events.Where(e => e["data"]?["id"]?.GetValue<string>() == id).ToList();
            var terminal = mineEvents.Where(e => TerminalTypes.Contains(e["type"]!.GetValue<string>()))
                .Select(e => (Id: e["id"]!.GetValue<string>(), Type: e["type"]!.GetValue<string>()))
                .Distinct()
                .ToList();
            terminalEvents += terminal.Count;
            if (terminal.Count != 1)
            {
                Fail($"{terminal.Count} terminal events ({string.Join(", ", terminal.Select(t => t.Id))}), expected 1");
            }
            else if (!terminal[0].Type.EndsWith(char.ToUpperInvariant(expected[0]) + expected[1..], StringComparison.Ordinal))
            {
                Fail($"its terminal event is {terminal[0].Type}, expected {expected}");
            }

            var submitted = mineEvents.Where(e => e["type"]!.GetValue<string>() == "Pipeline.VideoJob.Submitted")
                .Select(e => e["id"]!.GetValue<string>())
                .Distinct()
                .Count();
            if (mine.Count > 0 && submitted != 1)
            {
                Fail($"{submitted} distinct Submitted events, expected 1");
            }

            // 4. A video iff fal made one, whole.
            videos.TryGetValue(job.OutputBlob!, out var video);
            var made = mine.Where(r => r["status_code"]?.GetValue<int>() == 200).ToList();
            if (job.Scenario.Succeeds != (video is not null))
            {
                Fail(video is null ? $"no video at videos/{job.OutputBlob}" : $"a video at videos/{job.OutputBlob} though fal made none");
            }

            if (video is not null)
            {
                var falId = video.Metadata.TryGetValue("fal_request_id", out var named) ? named : null;
                var source = made.FirstOrDefault(r => r["request_id"]!.GetValue<string>() == falId);
                if (source is null)
                {
                    Fail($"its video names fal request {falId}, not one fal made for it");
                }
                else if (await FileSizeAsync(falId!, cancellationToken) is { } size && size != video.Size)
                {
                    Fail($"its video has {video.Size} bytes; fal's has {size}");
                }

                if (!video.StartsWithBox)
                {
                    Fail("its video does not start with an MP4 box");
                }

                if (job.Scenario.Source == JobSource.InboxPair && source is not null
                    && !(await PromptOfAsync(falId!, cancellationToken) ?? "").Contains(job.Token, StringComparison.Ordinal))
                {
                    Fail("its image's request did not carry its sidecar's prompt");
                }
            }
        }

        // 4'. No video without a job.
        var outputs = jobs.Select(j => j.OutputBlob).ToHashSet(StringComparer.Ordinal);
        foreach (var orphan in videos.Keys.Where(v => !outputs.Contains(v)))
        {
            violations.Add(new Violation("-", "videos", $"videos/{orphan} belongs to no job of the run"));
        }

        // 5. Nothing held.
        await CheckNothingHeldAsync(jobs, falRequests, settled, violations, cancellationToken);
        var exposures = outages.Select(o => Exposure(o, jobs, violations, began)).ToList();
        return new AuditResult(violations, falRequests, terminalEvents, videos.Count, exposures) { InputsNotFetched = refetched };
    }

    private static OutageExposure Exposure(
        OutageWindow outage, IReadOnlyList<ChaosJob> jobs, List<Violation> violations, DateTimeOffset began)
    {
        var inFlight = jobs.Where(j => OutageExposure.Met(j, [outage], began).Any()).ToList();
        var theirs = inFlight.SelectMany(j => new[] { j.Id, j.SidecarId, j.Token }).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return new OutageExposure(outage, inFlight, violations.Count(v => theirs.Contains(v.JobId)));
    }

    private async Task CheckNothingHeldAsync(
        IReadOnlyList<ChaosJob> jobs,
        Dictionary<string, int> falRequests,
        bool settled,
        List<Violation> violations,
        CancellationToken cancellationToken)
    {
        var container = storage.GetBlobContainerClient("jobs");
        if (!settled)
        {
            await foreach (var open in container.GetBlobsAsync(new GetBlobsOptions { Prefix = "open/" }, cancellationToken))
            {
                violations.Add(new Violation(open.Name["open/".Length..], "settle", "still open two minutes after every job ended"));
            }

            await foreach (var kept in container.GetBlobsAsync(new GetBlobsOptions { Prefix = "events/" }, cancellationToken))
            {
                violations.Add(new Violation(kept.Name.Split('/')[1], "events", $"an event still waits in the outbox ({kept.Name})"));
            }
        }

        try
        {
            var slotsBlob = await container.GetBlobClient("usage/slots.json").DownloadContentAsync(cancellationToken);
            var slots = JsonNode.Parse(slotsBlob.Value.Content.ToString());
            foreach (var holder in (slots?["holders"] as JsonObject ?? []).Select(h => h.Key))
            {
                violations.Add(new Violation(holder, "settle", "still holds a concurrency slot"));
            }
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            // no slot was ever taken
        }

        var entries = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var entry in container.GetBlobsAsync(new GetBlobsOptions { Prefix = "usage/" }, cancellationToken))
        {
            var parts = entry.Name.Split('/');
            if (parts.Length == 3 && !entries.Add(parts[2]))
            {
                violations.Add(new Violation(parts[2], "usage", "counted on two days"));
            }
        }

        foreach (var job in jobs)
        {
            var atFal = falRequests.GetValueOrDefault(job.Id!) > 0;
            if (atFal != entries.Contains(job.Id!))
            {
                violations.Add(new Violation(job.Id!, job.Scenario.Name,
                    atFal ? "fal had it, but its spend is not counted" : "its spend is counted, but fal never had it"));
            }

            if (job.SidecarId is { } sidecar && entries.Contains(sidecar))
            {
                violations.Add(new Violation(sidecar, job.Scenario.Name, "a superseded sidecar's spend is counted"));
            }
        }
    }

    /// <summary>fal's record: every request the emulator accepted.</summary>
    private static bool CouldNotFetchInputs(JsonObject request) =>
        request["error_type"]?.GetValue<string>() == "file_download_error";

    private async Task<List<JsonObject>> FalRequestsAsync(CancellationToken cancellationToken) =>
        [.. (await http.GetFromJsonAsync<JsonArray>($"{emulatorUrl}/_emulator/requests", cancellationToken))!.OfType<JsonObject>()];

    /// <summary>The job a request's webhook URL names (<c>…/api/fal/webhook?job={id}</c>).</summary>
    private static string? JobOf(JsonObject request) =>
        request["webhook_url"]?.GetValue<string>() is { } url && url.IndexOf("job=", StringComparison.Ordinal) is var at and >= 0
            ? Uri.UnescapeDataString(url[(at + 4)..].Split('&')[0])
            : null;

    /// <summary>The events file, one CloudEvent a line; a line cut short by a kill is skipped.</summary>
    private List<JsonObject> Events()
    {
        var file = Path.Combine(home, "events.jsonl");
        var events = new List<JsonObject>();
        foreach (var line in File.Exists(file) ? File.ReadAllLines(file) : [])
        {
            try
            {
                if (JsonNode.Parse(line) is JsonObject e)
                {
                    events.Add(e);
                }
            }
            catch (JsonException)
            {
                // a partial line
            }
        }

        return events;
    }

    private sealed record Video(long Size, IDictionary<string, string> Metadata, bool StartsWithBox);

    private async Task<Dictionary<string, Video>> VideosAsync(CancellationToken cancellationToken)
    {
        var container = storage.GetBlobContainerClient("videos");
        var videos = new Dictionary<string, Video>(StringComparer.Ordinal);
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata }, cancellationToken))
        {
            if (blob.Name.EndsWith(".error.json", StringComparison.Ordinal))
            {
                continue;
            }

            var firstBytes = new BlobDownloadOptions { Range = new Azure.HttpRange(0, 8) };
            var downloaded = await container.GetBlobClient(blob.Name).DownloadContentAsync(firstBytes, cancellationToken);
            var head = downloaded.Value.Content.ToArray();
            var box = head.Length >= 8 && System.Text.Encoding.ASCII.GetString(head, 4, 4) is "ftyp" or "free" or "moov" or "mdat";
            videos[blob.Name] = new Video(blob.Properties.ContentLength ?? -1, blob.Metadata, box);
        }

        return videos;
    }

    private async Task<long?> FileSizeAsync(string requestId, CancellationToken cancellationToken) =>
        (await ResultAsync(requestId, cancellationToken))?["video"]?["file_size"]?.GetValue<long>();

    private async Task<string?> PromptOfAsync(string requestId, CancellationToken cancellationToken)
    {
        // The emulator keeps the input; fal's status does not show it, so the audit asks the emulator's request list.
        var all = await http.GetFromJsonAsync<JsonArray>($"{emulatorUrl}/_emulator/requests", cancellationToken);
        return all?.OfType<JsonObject>()
            .FirstOrDefault(r => r["request_id"]?.GetValue<string>() == requestId)?["prompt"]?.GetValue<string>();
    }

    private async Task<JsonObject?> ResultAsync(string requestId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{emulatorUrl}/bytedance/seedance-2.0/requests/{requestId}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Key", emulatorKey);
        using var response = await http.SendAsync(request, cancellationToken);
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken) : null;
    }
}
