using Moq;
using Pipeline.Core.Fal;
using Pipeline.Core.Submits;
using Pipeline.UnitTests.Activities;

namespace Pipeline.UnitTests.Submits;

/// <summary>
/// A lost submit looked for in fal's request history: fal away is worth waiting for (the job holds its confirmation
/// open), a refusal of the history is not.
/// </summary>
public sealed class SubmitFinderTests
{
    private readonly ActivityMocks _m = new();

    public SubmitFinderTests() =>
        _m.Submits.Put(new SubmitRecord("api-1", 1, SubmitState.Sending, ActivityMocks.Now) with
        {
            EndpointId = "bytedance/seedance-2.0/fast/text-to-video", InputFingerprint = "sha256:abc",
        });

    [Theory]
    [InlineData(null, true, true)] // connection refused: fal is away
    [InlineData(503, true, true)]
    [InlineData(403, false, false)] // a key without the platform API's rights: waiting will not help
    public async Task FindLostAsync_HistoryUnreadable_SaysWhetherFalIsAway(int? status, bool retryable, bool away)
    {
        _m.Fal.Setup(f => f.ListRequestsAsync(It.IsAny<FalRequestHistoryQuery>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new FalApiException("fal's history could not be read", status, null, null, retryable));

        var search = await _m.Finder.Object.FindLostAsync("api-1", CancellationToken.None);

        Assert.False(search.Readable);
        Assert.Equal(away, search.FalAway);
        Assert.Empty(search.Found);
    }
}
