using System.Text.Json.Nodes;
using Pipeline.Core.Batches;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;

namespace Pipeline.UnitTests.Batches;

public sealed class VariantsTests
{
    [Theory]
    [InlineData("1", 1)]
    [InlineData("8", 8)]
    [InlineData("\"3\"", 3)] // a form field, a CSV cell, blob metadata
    public void Split_TakesOneToEight_AndRemovesTheField(string json, int expected)
    {
        var body = JsonNode.Parse($"{{\"prompt\":\"x\",\"variants\":{json}}}")!.AsObject();
        var errors = new ValidationErrors();

        Assert.Equal(expected, Variants.Split(body, errors));
        Assert.Empty(errors);
        Assert.False(body.ContainsKey("variants"));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("9")]
    [InlineData("2.5")]
    [InlineData("\"many\"")]
    [InlineData("null")]
    [InlineData("[2]")]
    public void Split_RefusesAnythingElse_ByField(string json)
    {
        var errors = new ValidationErrors();

        Assert.Equal(1, Variants.Split(JsonNode.Parse($"{{\"variants\":{json}}}")!.AsObject(), errors));
        Assert.Equal(["must be a whole number from 1 to 8"], errors["variants"]);
    }

    [Fact]
    public void Seeds_FollowTheRequestsSeed_OrAreDrawnFromTheFirstJob_DistinctAndStable()
    {
        Assert.Equal([5L, 6L, 7L], Enumerable.Range(1, 3).Select(i => Variants.SeedOf(5, "api-x", i, 3)!.Value));
        Assert.Null(Variants.SeedOf(null, "api-x", 1, 1)); // one job without a seed: fal draws it
        var drawn = Enumerable.Range(1, 8).Select(i => Variants.SeedOf(null, "api-x", i, 8)!.Value).ToList();
        Assert.Equal(8, drawn.Distinct().Count());
        Assert.All(drawn, s => Assert.InRange(s, 0, (long)int.MaxValue + 8));
        Assert.Equal(drawn, Enumerable.Range(1, 8).Select(i => Variants.SeedOf(null, "api-x", i, 8)!.Value));
        Assert.NotEqual(drawn[0], Variants.SeedOf(null, "api-y", 1, 8));
        Assert.Equal(3, Enumerable.Range(1, 3).Select(i => Variants.SeedOf(long.MaxValue, "api-x", i, 3)).Distinct().Count());
    }

    [Theory]
    [InlineData("trips/photo.mp4", 1, 1, "trips/photo.mp4")]
    [InlineData("trips/photo.mp4", 2, 3, "trips/photo.v2.mp4")]
    [InlineData("photo.mp4", 1, 2, "photo.v1.mp4")]
    public void OutputName_NumbersVariantsOnlyWhenThereAreSeveral(string output, int index, int of, string expected) =>
        Assert.Equal(expected, Variants.OutputName(output, index, of));

    [Fact]
    public void VariantAndRowIds_AreStable_Distinct_AndWellFormed()
    {
        var first = JobIds.ForBlob("inbox", "a.jpg", "\"0x1\"");
        var ids = Enumerable.Range(1, 8).Select(i => JobIds.ForVariant(first, i)).ToList();

        Assert.Equal(first, ids[0]);
        Assert.Equal(8, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(JobIds.IsWellFormed(id), id));
        Assert.All(ids, id => Assert.StartsWith("inbox-", id, StringComparison.Ordinal));
        Assert.StartsWith("api-", JobIds.ForVariant(JobIds.New(), 2), StringComparison.Ordinal);
        var batch = BatchIds.ForManifest("inbox", "shop/p.csv", new string('a', 64));
        Assert.True(BatchIds.IsWellFormed(batch.Id));
        Assert.NotEqual(batch.Id, BatchIds.ForManifest("inbox", "shop/p.csv", new string('b', 64)).Id);
        Assert.True(JobIds.IsWellFormed(JobIds.ForManifestRow(batch.Id, 3)));
        Assert.False(BatchIds.IsWellFormed("batch-../x"));
    }
}
