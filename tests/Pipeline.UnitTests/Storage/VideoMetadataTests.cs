using Pipeline.Core.Activities;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.UnitTests.Storage;

/// <summary>A paid video is never refused for its metadata: what would pass Azure's 8 KiB limit is left out and named.</summary>
public sealed class VideoMetadataTests
{
    private static VideoToStore Input(
        string? endUser = null, IReadOnlyDictionary<string, string>? correlation = null, string source = "trips/photo.jpg") =>
        new StoreVideoInput(
            "inbox-1",
            VideoMode.ImageToVideo,
            new JobSource(JobSourceKind.Inbox, "inbox", source, "0x1"),
            "fal-req-1",
            42,
            "https://v3.fal.media/files/x/output.mp4",
            "video/mp4",
            "trips/photo.mp4")
        {
            EndUserId = endUser, Correlation = correlation,
        }.ToStore();

    private static int Size(IDictionary<string, string> metadata) => metadata.Sum(m => m.Key.Length + m.Value.Length);

    [Fact]
    public void Metadata_WithinTheLimit_HoldsEveryEntry()
    {
        var metadata = VideoStore.Metadata(Input("user-1", new Dictionary<string, string> { ["order"] = "A-42" }));

        Assert.Equal(["job_id", "fal_request_id", "mode", "seed", "source", "end_user_id", "correlation_order"], metadata.Keys);
        Assert.Equal("inbox%2Ftrips%2Fphoto.jpg", metadata["source"]);
        Assert.False(metadata.ContainsKey("metadata_omitted"));
    }

    [Fact]
    public void Metadata_PastTheLimit_LeavesOutTheLeastImportantEntriesAndNamesThem()
    {
        // Ten correlation values of 256 characters that percent-encode to three bytes each: about 7.7 KB on their own.
        var correlation = Enumerable.Range(0, 10).ToDictionary(i => $"key_{i}", _ => new string('é', 256));
        var endUser = new string('ü', 256);

        var metadata = VideoStore.Metadata(Input(endUser, correlation, source: new string('x', 1000) + ".jpg"));

        Assert.True(Size(metadata) <= VideoStore.MaxMetadataBytes, $"{Size(metadata)} bytes");
        Assert.Equal("fal-req-1", metadata["fal_request_id"]);
        Assert.Equal("inbox-1", metadata["job_id"]);
        Assert.Contains("correlation_key_9", metadata["metadata_omitted"], StringComparison.Ordinal);
        Assert.All(metadata.Keys, k => Assert.DoesNotContain(k, metadata["metadata_omitted"].Split(',')));
    }
}
