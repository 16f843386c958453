using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Moq;
using Pipeline.Core.Storage;

namespace Pipeline.UnitTests.Storage;

/// <summary>
/// Read URLs for blobs: with an account key (Azurite, connection strings) a service SAS; with a managed identity (Azure,
/// shared keys off) a user delegation SAS whose key is fetched once and reused.
/// </summary>
public sealed class BlobUrlSignerTests
{
    private static readonly CancellationToken Token = CancellationToken.None;

    [Fact]
    public async Task ReadUrlAsync_WithAnAccountKey_GivesAReadOnlyServiceSas()
    {
        var storage = new PipelineStorage(new BlobServiceClient("UseDevelopmentStorage=true"));
        using var signer = new BlobUrlSigner(storage, TimeProvider.System);

        var url = await signer.ReadUrlAsync(storage.Videos.GetBlobClient("trips/a.mp4"), TimeSpan.FromHours(1), Token);

        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        Assert.Equal("r", query["sp"]);
        Assert.False(string.IsNullOrEmpty(query["sig"]));
        Assert.Null(query["skoid"]);
    }

    [Fact]
    public async Task ReadUrlAsync_WithoutAKey_SignsWithOneUserDelegationKeyReused()
    {
        var service = new Mock<BlobServiceClient>();
        service.SetupGet(s => s.AccountName).Returns("pipelinestore");
        var key = BlobsModelFactory.UserDelegationKey(
            "object-id",
            "tenant-id",
            DateTimeOffset.UtcNow.AddMinutes(-5),
            DateTimeOffset.UtcNow.AddDays(2),
            "b",
            "2025-01-05",
            Convert.ToBase64String(new byte[32]));
        service.Setup(s => s.GetUserDelegationKeyAsync(
                It.IsAny<DateTimeOffset?>(), It.IsAny<DateTimeOffset>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Response.FromValue(key, Mock.Of<Response>()));
        var storage = new PipelineStorage(service.Object);
        using var signer = new BlobUrlSigner(storage, TimeProvider.System);
        // no key: cannot sign itself
        var blob = new BlobClient(new Uri("https://pipelinestore.blob.core.windows.net/inbox/trips/photo.jpg"));

        var first = await signer.ReadUrlAsync(blob, TimeSpan.FromHours(2), Token);
        var second = await signer.ReadUrlAsync(blob, TimeSpan.FromHours(2), Token);

        Assert.False(blob.CanGenerateSasUri);
        var query = System.Web.HttpUtility.ParseQueryString(first.Query);
        Assert.Equal("r", query["sp"]);
        Assert.Equal("object-id", query["skoid"]);
        Assert.False(string.IsNullOrEmpty(query["sig"]));
        Assert.StartsWith(
            "https://pipelinestore.blob.core.windows.net/inbox/trips/photo.jpg?", second.ToString(), StringComparison.Ordinal);
        service.Verify(
            s => s.GetUserDelegationKeyAsync(It.IsAny<DateTimeOffset?>(), It.IsAny<DateTimeOffset>(), It.IsAny<CancellationToken>()),
            Times.Once);
    }
}
