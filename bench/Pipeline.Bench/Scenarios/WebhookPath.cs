namespace Pipeline.Bench;

/// <summary>The webhook path (and with webhooks dropped), beside a client that polls the way fal's own <c>subscribe</c> does.</summary>
public sealed partial class Benchmark
{
    private double? _webhookToStoreP95;

    /// <summary>When the webhook path's raises returned, from the first: the engine alone is raised on the same pattern.</summary>
    private List<TimeSpan> _webhookOffsets = [TimeSpan.Zero];

    private async Task WebhookPathAsync(
        WebApplication app, RemoteFal fal, EventSink sink, DurableTaskClient client, string scenario, string marker)
    {
        var baseAddress = new Uri(app.Urls.First().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        using var http = new HttpClient { BaseAddress = baseAddress };
        var ids = new List<string>();
        var mark = await _accountant!.BeginAsync();
        for (var i = 0; i < options.Jobs; i++)
        {
            var body = new { prompt = $"A lighthouse at dusk{marker}", resolution = "480p", duration = "4" };
            using var response = await http.PostAsJsonAsync("/api/videos/text-to-video", body);
            ids.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.ToString());
        }

        await WaitFinishedAsync(ids, TimeSpan.FromMinutes(5));
        await WaitForEventsAsync(sink, ids, JobEventTypes.Succeeded);
        _accounts.Add(await _accountant.EndAsync(mark, scenario, ids));
        var results = await WaitAllAsync(client, ids, TimeSpan.FromMinutes(5));
        var requests = await fal.RequestsAsync();
        var recorded = (await fal.CallsAsync()).Where(c => c.RequestId is not null).ToLookup(c => c.RequestId!);
        var toStored = new List<TimeSpan>();
        var toEvent = new List<TimeSpan>();
        var (toWebhook, webhookToStore, storing) = (new List<TimeSpan>(), new List<TimeSpan>(), new List<TimeSpan>());
        var (toEpisode, episodeToStore) = (new List<TimeSpan>(), new List<TimeSpan>());
        var calls = new Dictionary<CallKind, int>();
        foreach (var result in results)
        {
            var falDone = requests[result.FalRequestId!].CompletedAt!.Value;
            if (_spans!.First(result.Id, "fal.webhook") is { } webhook
                && _spans.First(result.Id, "activity:" + StoreVideoActivity.Name) is { } store)
            {
                toWebhook.Add(webhook.Start - falDone);
                webhookToStore.Add(store.Start - (webhook.Start + webhook.Duration));
                storing.Add(store.Duration);
                // The episode that took the webhook's event: the last to begin before the store step did.
                if (_episodeStarts.TryGetValue(result.Id, out var starts)
                    && starts.Where(t => t <= store.Start).DefaultIfEmpty().Max() is var episode && episode != default)
                {
                    toEpisode.Add(episode - (webhook.Start + webhook.Duration));
                    episodeToStore.Add(store.Start - episode);
                }
            }

            // The store activity stamps finished_at the moment the blob is committed (and then publishes).
            toStored.Add((sink.FinishedAt(result.Id, JobEventTypes.Succeeded) ?? result.FinishedAt) - falDone);
            if (sink.ReceivedAt(result.Id, JobEventTypes.Succeeded) is { } received)
            {
                toEvent.Add(received - falDone);
            }

            var queueCalls = recorded[result.FalRequestId!]
                .Where(c => c.Kind is CallKind.Submit or CallKind.Status or CallKind.Result or CallKind.Cancel);
            foreach (var call in queueCalls)
            {
                calls[call.Kind] = calls.GetValueOrDefault(call.Kind) + 1;
            }
        }

        var perVideo = string.Join(", ", new[] { CallKind.Submit, CallKind.Status, CallKind.Result, CallKind.Cancel }
            .Select(k => $"{k.ToString().ToLowerInvariant()} {(double)calls.GetValueOrDefault(k) / results.Count:F2}"));
        var total = (double)calls.Values.Sum() / results.Count;
        _rows.Add(new Row(scenario, "jobs succeeded", $"{results.Count(r => r.Outcome == JobOutcome.Succeeded)} of {ids.Count}"));
        var webhooks = marker.Length == 0;
        _rows.Add(new Row(scenario, "fal calls per video", $"{total:F2} ({perVideo})",
            webhooks ? "≤ 2 (1 is the minimum)" : "bounded, reported"));
        _rows.Add(new Row(scenario, "fal finished → video stored", Stats.Of(toStored).ToString(),
            webhooks ? "p95 < 1 s above the copy" : ""));
        _rows.Add(new Row(scenario, "fal finished → event received", Stats.Of(toEvent).ToString()));
        if (toWebhook.Count > 0)
        {
            _rows.Add(new Row(scenario, "… fal finished → webhook received", Stats.Of(toWebhook).ToString(),
                "fal's (the emulator's) delivery"));
            _rows.Add(new Row(scenario, "… webhook answered → store step started", Stats.Of(webhookToStore).ToString(),
                "two engine hops (see engine alone)"));
            _rows.Add(new Row(scenario, "… … webhook answered → its episode began", Stats.Of(toEpisode).ToString(),
                "hop 1: the event through a control queue"));
            _rows.Add(new Row(scenario, "… … episode began → store step started", Stats.Of(episodeToStore).ToString(),
                "hop 2: the episode, then the work item"));
            _webhookToStoreP95 = Stats.Of(webhookToStore).P95;
            var arrivals = results.Select(r => _spans!.First(r.Id, "fal.webhook")).OfType<(DateTimeOffset Start, TimeSpan Duration)>()
                .Select(w => w.Start + w.Duration).Order().ToList();
            _webhookOffsets = [.. arrivals.Select(a => a - arrivals[0])];
            _rows.Add(new Row(scenario, "… store step (copy, settle, publish)", Stats.Of(storing).ToString()));
        }

        _rows.Add(new Row(scenario, "orchestrator episodes per job", $"{ids.Average(id => _episodes.GetValueOrDefault(id)):F1}"));
    }

    /// <summary>
    /// What fal's own client does (<c>subscribe</c>): submit, then ask for the status every 500 ms until done, then the result.
    /// </summary>
    private async Task PollingClientAsync(RemoteFal fal)
    {
        using var http = new HttpClient { BaseAddress = fal.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Key", fal.ApiKey);
        var ids = new ConcurrentBag<string>();
        var inHand = new ConcurrentDictionary<string, DateTimeOffset>();
        var all = new ParallelOptions { MaxDegreeOfParallelism = options.Jobs };
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Jobs), all, async (i, ct) =>
        {
            var body = new { prompt = "A lighthouse at dusk", resolution = "480p", duration = "4" };
            using var submit = await http.PostAsJsonAsync("/bytedance/seedance-2.0/fast/text-to-video", body, ct);
            var queued = (await submit.Content.ReadFromJsonAsync<JsonObject>(ct))!;
            ids.Add(queued["request_id"]!.ToString());
            while (true)
            {
                await Task.Delay(500, ct);
                var status = (await http.GetFromJsonAsync<JsonObject>(queued["status_url"]!.ToString() + "?logs=1", ct))!;
                if (status["status"]!.ToString() == "COMPLETED")
                {
                    break;
                }
            }

            await http.GetFromJsonAsync<JsonObject>(queued["response_url"]!.ToString(), ct);
            inHand[queued["request_id"]!.ToString()] = DateTimeOffset.UtcNow;
        });

        var requests = await fal.RequestsAsync();
        var latency = inHand.Select(r => r.Value - requests[r.Key].CompletedAt!.Value);
        var asked = ids.ToHashSet();
        var calls = (await fal.CallsAsync()).Where(c => c.RequestId is not null && asked.Contains(c.RequestId))
            .GroupBy(c => c.Kind)
            .ToDictionary(g => g.Key, g => g.Count());
        var total = (double)calls.Where(c => c.Key is CallKind.Submit or CallKind.Status or CallKind.Result).Sum(c => c.Value) / ids.Count;
        double PerVideo(CallKind kind) => (double)calls.GetValueOrDefault(kind) / ids.Count;
        _rows.Add(new Row("polling client (fal subscribe, 500 ms)", "fal calls per video",
            $"{total:F2} (submit {PerVideo(CallKind.Submit):F2}, status {PerVideo(CallKind.Status):F2}, "
            + $"result {PerVideo(CallKind.Result):F2})", "baseline"));
        _rows.Add(new Row("polling client (fal subscribe, 500 ms)", "fal finished → result in hand", Stats.Of(latency).ToString(),
            "baseline (stores nothing)"));
    }
}
