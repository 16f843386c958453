using Pipeline.Core.Costs;
using Pipeline.Core.Requests;
using Pipeline.Core.Jobs;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Pipeline.UnitTests.Costs;

public sealed class PriceTableTests
{
    private static readonly PriceTable Prices = new(MsOptions.Create(new CostOptions()));

    [Theory]
    [InlineData("720p", "5", 5, 1.2095)] // $0.2419 a second, fal's 720p list price
    [InlineData("480p", "10", 10, 1.076)] // fal's token price at 854×480
    [InlineData("720p", "auto", 15, 3.6285)] // auto is estimated at the longest the model makes
    public void Estimate_IsSecondsTimesThePriceOfTheResolution(string resolution, string duration, int seconds, double usd)
    {
        var cost = Prices.Estimate(VideoMode.TextToVideo, new VideoRequest { Prompt = "p", Resolution = resolution, Duration = duration });

        Assert.Equal(new JobCost(seconds, (decimal)usd), cost);
    }

    [Fact]
    public void Estimate_AudioCostsNothingExtra()
    {
        var silent = Prices.Estimate(VideoMode.TextToVideo, new VideoRequest { Prompt = "p", Duration = "8", GenerateAudio = false });
        var loud = Prices.Estimate(VideoMode.TextToVideo, new VideoRequest { Prompt = "p", Duration = "8", GenerateAudio = true });

        Assert.Equal(silent, loud);
    }

    [Fact]
    public void Estimate_ReferenceToVideoWithVideoInputs_CostsSixTenths()
    {
        var request = new VideoRequest { Prompt = "@Video1", Duration = "10", VideoUrls = ["https://example.com/v.mp4"] };

        Assert.Equal(new JobCost(10, 1.4514m), Prices.Estimate(VideoMode.ReferenceToVideo, request));
        Assert.Equal(
            new JobCost(10, 2.419m),
            Prices.Estimate(VideoMode.ReferenceToVideo, request with { VideoUrls = [], ImageUrls = ["https://example.com/i.png"] }));
    }

    [Fact]
    public void Estimate_UsesTheConfiguredTable()
    {
        var prices = new PriceTable(MsOptions.Create(new CostOptions { PricePerSecondUsd = new() { ["480p"] = 0.05m, ["720p"] = 0.1m } }));

        Assert.Equal(
            0.2m,
            prices.Estimate(VideoMode.TextToVideo, new VideoRequest { Prompt = "p", Resolution = "480p", Duration = "4" }).EstimatedUsd);
    }
}
