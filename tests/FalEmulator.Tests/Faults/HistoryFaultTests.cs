using System.Net;
using System.Text;
using FalEmulator.Faults;
using FalEmulator.Model;
using FalEmulator.Tests.Support;

namespace FalEmulator.Tests.Faults;

/// <summary>The request history's faults: a request it never shows, one it shows late, and an outage of the listing.</summary>
public sealed class HistoryFaultTests
{
    private const string Query = "endpoint_id=" + SeedanceEndpoints.TextToVideo;

    private static object Refused(int seed) => new { resolution = "480p", duration = "4", seed };

    [Fact]
    public void Parse_HistoryKnobs_SetTheirFields()
    {
        var plan = FaultPlan.Parse("history=hidden; history_delay=2m");

        Assert.True(plan.HistoryHidden);
        Assert.Equal(TimeSpan.FromMinutes(2), plan.HistoryDelay);
        Assert.False(FaultPlan.Parse("history=listed", plan).HistoryHidden);
        Assert.Throws<FormatException>(() => FaultPlan.Parse("history=gone"));
        Assert.Throws<FormatException>(() => FaultPlan.Parse("history_delay=later"));
    }

    [Fact]
    public async Task HistoryHidden_ByHeaderOrPromptMarker_TheEndedRequestIsNeverListed()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var shown = await fal.EndedAsync(SeedanceEndpoints.TextToVideo, Refused(1));
        var hidden = await fal.EndedAsync(SeedanceEndpoints.TextToVideo, Refused(2), faults: "history=hidden");
        var marked = await fal.EndedAsync(SeedanceEndpoints.TextToVideo, new { prompt = "p [emulator: history=hidden]", duration = "3" });

        var listed = HistoryCalls.Ids((await fal.ListAsync(Query)).Body);

        Assert.Equal([shown], listed);
        Assert.Empty(HistoryCalls.Ids((await fal.ListAsync(Query + "&request_id=" + hidden)).Body));
        Assert.Empty(HistoryCalls.Ids((await fal.ListAsync(Query + "&request_id=" + marked)).Body));
    }

    [Fact]
    public async Task HistoryHidden_AsTheInstancesDefault_ARequestCanOverrideIt()
    {
        await using var fal = await EmulatorClient.StartAsync(o => o.DefaultFaults = "history=hidden");
        await fal.EndedAsync(SeedanceEndpoints.TextToVideo, Refused(1));
        var listed = await fal.EndedAsync(SeedanceEndpoints.TextToVideo, Refused(2), faults: "history=listed");

        Assert.Equal([listed], HistoryCalls.Ids((await fal.ListAsync(Query)).Body));
    }

    [Fact]
    public async Task HistoryDelay_TheRequestIsListedOnlyThatLongAfterItEnded()
    {
        await using var fal = await EmulatorClient.StartAsync();
        var id = await fal.EndedAsync(SeedanceEndpoints.TextToVideo, Refused(1), faults: "history_delay=60s"); // 600 ms here

        Assert.Empty(HistoryCalls.Ids((await fal.ListAsync(Query)).Body));
        await fal.WaitUntilAsync(async () => HistoryCalls.Ids((await fal.ListAsync(Query)).Body).Contains(id));
        var ended = fal.Host.Requests.Find(id)!.CompletedAt!.Value;
        Assert.True(DateTimeOffset.UtcNow - ended >= TimeSpan.FromMilliseconds(600));
    }

    [Fact]
    public async Task HistoryOutage_FromTheHost_Answers503UntilTurnedOff()
    {
        await using var fal = await EmulatorClient.StartAsync();

        fal.Host.SetHistoryOutage("on");
        var (during, body) = await fal.ListAsync(Query);
        fal.Host.SetHistoryOutage("off");
        var (after, _) = await fal.ListAsync(Query);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, during);
        Assert.Equal("Service Unavailable", body["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, after);
    }

    [Fact]
    public async Task HistoryOutage_ForAWhileByTheControlApi_EndsByItself()
    {
        await using var fal = await EmulatorClient.StartAsync();

        using var set = await fal.Http.PutAsync(
            "/_emulator/history-outage", new StringContent("30s", Encoding.UTF8, "text/plain"), EmulatorClient.Token);
        var state = await EmulatorClient.ReadAsync(set);
        var (during, _) = await fal.ListAsync(Query);

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.True(state["active"]!.GetValue<bool>());
        Assert.NotNull(state["until"]);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, during);
        await fal.WaitUntilAsync(async () => (await fal.ListAsync(Query)).Status == HttpStatusCode.OK); // 300 ms at this time scale
        var (_, ended) = await fal.GetAsync("/_emulator/history-outage");
        Assert.False(ended["active"]!.GetValue<bool>());
    }

    [Fact]
    public async Task HistoryOutage_BadSpec_Answers400AndChangesNothing()
    {
        await using var fal = await EmulatorClient.StartAsync();

        using var set = await fal.Http.PutAsync(
            "/_emulator/history-outage", new StringContent("soon", Encoding.UTF8, "text/plain"), EmulatorClient.Token);

        Assert.Equal(HttpStatusCode.BadRequest, set.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fal.ListAsync(Query)).Status);
    }
}
