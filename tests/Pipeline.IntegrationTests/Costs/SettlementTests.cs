using System.Net;
using System.Text.Json.Nodes;
using FalEmulator.Recording;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Core.Api;
using Pipeline.Core.Housekeeping;
using Pipeline.Core.Events;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Costs;

/// <summary>
/// What a job holds is given back on every path, and caps count every dollar: reservations before the 202, a cap set
/// mid-day, a job refused by fal, and jobs whose orchestration an operator terminated (settled by the reconciler).
/// </summary>
public sealed class SettlementTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    private static object Body(string user, string prompt = "Capped") =>
        new { prompt, resolution = "480p", duration = "4", end_user_id = user };

    [Fact]
    public async Task ThreeRequestsAtOnceUnderACapThatFitsTwo_TwoAreAcceptedAndOneRefusedBeforeAnyWork()
    {
        // 480p × 4 s = $0.4304 a job: a cap of $1.00 admits two.
        await using var host = await PipelineTestHost.StartAsync(azurite, s => s["Costs:PerUserDailyBudgetUsd"] = "1.00");
        var user = "burst-" + Guid.NewGuid().ToString("N")[..8];

        var answers = await Task.WhenAll(Enumerable.Range(0, 3)
            .Select(i => host.SubmitAsync("text-to-video", Body(user, $"Capped {i} [emulator: run=1s]"))));

        Assert.Equal(2, answers.Count(a => a.Status == HttpStatusCode.Accepted));
        var refused = Assert.Single(answers, a => a.Status == (HttpStatusCode)429);
        Assert.Equal("budget_exceeded", refused.Body["code"]!.GetValue<string>());
        foreach (var (_, accepted, _) in answers.Where(a => a.Status == HttpStatusCode.Accepted))
        {
            Assert.Equal("succeeded", (await host.WaitForJobAsync(accepted["id"]!.GetValue<string>()))["status"]!.GetValue<string>());
        }

        Assert.Equal(2, host.Fal.Requests.All.Count(r => r.Input?.EndUserId == user));
    }

    [Fact]
    public async Task CapSetInTheMiddleOfTheDay_CountsWhatWasSpentBeforeIt()
    {
        var user = "midday-" + Guid.NewGuid().ToString("N")[..8];
        await using (var uncapped = await PipelineTestHost.StartAsync(azurite))
        {
            var (_, accepted, _) = await uncapped.SubmitAsync("text-to-video", Body(user));
            Assert.Equal("succeeded", (await uncapped.WaitForJobAsync(accepted["id"]!.GetValue<string>()))["status"]!.GetValue<string>());
        }

        // Setting a cap restarts the app: the new instance adds the day's entries to the capped totals.
        await using var capped = await PipelineTestHost.StartAsync(azurite, s => s["Costs:PerUserDailyBudgetUsd"] = "0.50");
        var (status, problem, _) = await capped.SubmitAsync("text-to-video", Body(user));

        Assert.Equal((HttpStatusCode)429, status);
        Assert.Contains("$0.4304 spent", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(capped.Fal.Requests.All, r => r.Input?.EndUserId == user);
    }

    [Fact]
    public async Task FalRefusesTheSubmit_TheReservationIsGivenBack()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s => s["Pipeline:FalUnavailableWait"] = "00:00:04");
        var user = "refused-" + Guid.NewGuid().ToString("N")[..8];

        var (_, accepted, _) = await host.SubmitAsync("text-to-video", Body(user, $"Refused {user} [emulator: submit_500=100]"));
        var job = await host.WaitForJobAsync(accepted["id"]!.GetValue<string>());

        Assert.Equal("fal_unavailable", job["error"]!["code"]!.GetValue<string>());
        Assert.Equal(0m, job["estimated_cost_usd"]!.GetValue<decimal>());
        Assert.False((await UsageAsync(host))["by_end_user"]?.AsObject().ContainsKey(user) ?? false);
        Assert.False(await host.Storage.Jobs.GetBlobClient($"open/{job["id"]}").ExistsAsync(Token));
    }

    [Fact]
    public async Task TerminatedJobHoldingTheOnlySlot_IsSettledByTheReconcilerAndTheWaitingJobRuns()
    {
        // Its own Azurite: the slots are the app's, and other tests' hosts take them too.
        await using var ownAzurite = new AzuriteFixture();
        await ownAzurite.InitializeAsync();
        await using var host = await PipelineTestHost.StartAsync(ownAzurite, s =>
        {
            s["Costs:MaxConcurrentJobs"] = "1";
            s["Costs:SlotRetryInterval"] = "00:10:00"; // only a wake-up lets the waiting job go
            s["Pipeline:ReconcileAfter"] = "00:00:01";
            s["Pipeline:WebhookWait"] = "00:10:00";
        });
        var user = "terminated-" + Guid.NewGuid().ToString("N")[..8];
        var (_, holder, _) = await host.SubmitAsync("text-to-video", Body(user, $"Holds the slot {user} [emulator: run=600s]"));
        var holderId = holder["id"]!.GetValue<string>();
        await UntilAsync(async () =>
            (await host.GetJobAsync(holderId))["stage"]?.GetValue<string>() is "queued_at_fal" or "running_at_fal");
        var (_, waiter, _) = await host.SubmitAsync("text-to-video", Body(user, $"Waits for the slot {user}"));
        var waiterId = waiter["id"]!.GetValue<string>();
        await UntilAsync(async () => (await host.GetJobAsync(waiterId))["stage"]?.GetValue<string>() == "waiting_for_slot");

        await host.Client.TerminateInstanceAsync(holderId, "stopped by an operator", Token);
        await UntilAsync(async () =>
            (await host.Client.GetInstanceAsync(holderId, Token))?.RuntimeStatus == OrchestrationRuntimeStatus.Terminated);
        await Task.Delay(TimeSpan.FromSeconds(1.2), Token);
        var settled = await host.Services.GetRequiredService<JobReconciler>().RunAsync(host.Client, Token);

        Assert.Equal(1, settled);
        // Woken, not by its 10-minute timer.
        Assert.Equal("succeeded", (await host.WaitForJobAsync(waiterId))["status"]!.GetValue<string>());
        var request = host.Fal.Requests.All
            .Single(r => r.Input?.Prompt.Contains($"Holds the slot {user}", StringComparison.Ordinal) == true);
        Assert.Contains(host.Fal.Recorder.CallsFor(request.RequestId), c => c.Kind == CallKind.Cancel);
        var cancelled = (await host.Events.WaitForAsync(e => e.Any(x => x.Id == $"{holderId}.cancelled")))
            .Single(x => x.Id == $"{holderId}.cancelled");
        Assert.Equal(JobEventTypes.Cancelled, cancelled.Type);
        Assert.Equal("terminated", cancelled.Data!.ToObjectFromJson<JsonObject>()!["error"]!["code"]!.GetValue<string>());
        Assert.False(await host.Storage.Jobs.GetBlobClient($"open/{holderId}").ExistsAsync(Token));
        Assert.Equal(2, (await UsageAsync(host))["by_end_user"]![user]!["jobs"]!.GetValue<int>()); // fal had both: both are spent
        Assert.Equal(0, await host.Services.GetRequiredService<JobReconciler>().RunAsync(host.Client, Token)); // nothing left
    }

    private static async Task<JsonNode> UsageAsync(PipelineTestHost host)
    {
        using var usage = await host.Http.GetAsync($"/api/usage?date={DateTimeOffset.UtcNow:yyyy-MM-dd}", Token);
        return JsonNode.Parse(await usage.Content.ReadAsStringAsync(Token))!;
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var until = DateTimeOffset.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < until, "not reached within 60 s");
            await Task.Delay(100, Token);
        }
    }
}
