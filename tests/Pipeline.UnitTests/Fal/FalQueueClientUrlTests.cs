using Moq;
using Pipeline.Core.Fal;

namespace Pipeline.UnitTests.Fal;

public sealed class FalQueueClientUrlTests
{
    private static readonly Uri Queue = new("https://queue.fal.run");

    [Theory]
    [InlineData("bytedance/seedance-2.0/fast/text-to-video")]
    [InlineData("bytedance/seedance-2.0/fast/image-to-video")]
    [InlineData("bytedance/seedance-2.0/fast/reference-to-video")]
    [InlineData("bytedance/seedance-2.0")]
    public void UrlHelpers_MultiSegmentEndpointId_UseOwnerAndAliasOnly(string endpointId)
    {
        Assert.Equal(
            "https://queue.fal.run/bytedance/seedance-2.0/requests/r-1/status",
            FalQueueClient.StatusUrlFor(Queue, endpointId, "r-1").AbsoluteUri);
        Assert.Equal(
            "https://queue.fal.run/bytedance/seedance-2.0/requests/r-1",
            FalQueueClient.ResponseUrlFor(Queue, endpointId, "r-1").AbsoluteUri);
        Assert.Equal(
            "https://queue.fal.run/bytedance/seedance-2.0/requests/r-1/cancel",
            FalQueueClient.CancelUrlFor(Queue, endpointId, "r-1").AbsoluteUri);
    }

    [Fact]
    public void StatusUrlFor_BaseWithPathAndTrailingSlash_KeepsThePath()
    {
        var url = FalQueueClient.StatusUrlFor(new Uri("http://127.0.0.1:8090/fal/"), "bytedance/seedance-2.0/fast/text-to-video", "r-1");

        Assert.Equal("http://127.0.0.1:8090/fal/bytedance/seedance-2.0/requests/r-1/status", url.AbsoluteUri);
    }

    [Fact]
    public void ResponseUrlFor_RequestIdWithReservedCharacters_EscapesIt()
    {
        var url = FalQueueClient.ResponseUrlFor(Queue, "bytedance/seedance-2.0", "a/b?c");

        Assert.Equal("https://queue.fal.run/bytedance/seedance-2.0/requests/a%2Fb%3Fc", url.AbsoluteUri);
    }

    [Theory]
    [InlineData("seedance", "r-1")]
    [InlineData("bytedance/../x", "r-1")]
    [InlineData("bytedance/seedance-2.0", "")]
    public void CancelUrlFor_InvalidArguments_ThrowsArgumentException(string endpointId, string requestId)
    {
        Assert.ThrowsAny<ArgumentException>(() => FalQueueClient.CancelUrlFor(Queue, endpointId, requestId));
    }

    [Fact]
    public async Task Mock_ProtectedConstructor_AllowsStubbingVirtualMethods()
    {
        var status = new FalRequestStatus("r-1", FalRequestState.InQueue, 4, null, null);
        var mock = new Mock<FalQueueClient>();
        mock.Setup(c => c.GetStatusAsync(It.IsAny<Uri>(), It.IsAny<CancellationToken>())).ReturnsAsync(status);

        var result = await mock.Object.GetStatusAsync(
            new Uri("https://queue.fal.run/x/y/requests/r-1/status"), TestContext.Current.CancellationToken);

        Assert.Same(status, result);
    }
}
