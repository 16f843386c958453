using System.Net;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;

namespace Pipeline.IntegrationTests.Infrastructure;

public sealed class AzuriteFixtureTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task CreateContainerAsync_UploadThenDownload_ReturnsSameBytes()
    {
        var ct = TestContext.Current.CancellationToken;
        var container = await azurite.CreateContainerAsync("Smoke_Test");
        var blob = container.GetBlobClient("folder/hello.txt");

        await blob.UploadAsync(BinaryData.FromString("hello azurite"), ct);
        var downloaded = await blob.DownloadContentAsync(ct);

        Assert.Equal("hello azurite", downloaded.Value.Content.ToString());
        Assert.StartsWith("smoke-test-", container.Name, StringComparison.Ordinal);
        Assert.StartsWith(azurite.BlobEndpoint.ToString(), blob.Uri.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateContainerAsync_SamePrefixTwice_GivesDistinctContainers()
    {
        var first = await azurite.CreateContainerAsync("same");
        var second = await azurite.CreateContainerAsync("same");

        Assert.NotEqual(first.Name, second.Name);
    }

    [Fact]
    public async Task GenerateSasUri_ReadOnly_PlainHttpClientCanDownloadButNotWrite()
    {
        var ct = TestContext.Current.CancellationToken;
        var container = await azurite.CreateContainerAsync("sas");
        var blob = container.GetBlobClient("video.mp4");
        byte[] content = [0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70];
        await blob.UploadAsync(BinaryData.FromBytes(content), ct);

        Assert.True(blob.CanGenerateSasUri);
        var sas = blob.GenerateSasUri(BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddMinutes(10));

        using var http = new HttpClient();
        var bytes = await http.GetByteArrayAsync(sas, ct);
        Assert.Equal(content, bytes);

        using var put = new HttpRequestMessage(HttpMethod.Put, sas) { Content = new ByteArrayContent([1, 2, 3]) };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        using var refused = await http.SendAsync(put, ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        using var anonymous = await http.GetAsync(blob.Uri, ct);
        Assert.NotEqual(HttpStatusCode.OK, anonymous.StatusCode);
    }

    [Fact]
    public async Task ConnectionString_NamesEveryEndpoint_AndWorksForANewClient()
    {
        var ct = TestContext.Current.CancellationToken;
        if (azurite.OwnsProcess)
        {
            Assert.Contains("BlobEndpoint=http://127.0.0.1:", azurite.ConnectionString, StringComparison.Ordinal);
            Assert.Contains("QueueEndpoint=http://127.0.0.1:", azurite.ConnectionString, StringComparison.Ordinal);
            Assert.Contains("TableEndpoint=http://127.0.0.1:", azurite.ConnectionString, StringComparison.Ordinal);
        }

        var client = new BlobServiceClient(azurite.ConnectionString);
        var properties = await client.GetPropertiesAsync(ct);

        Assert.NotNull(properties.Value);
        Assert.Equal(azurite.BlobEndpoint, client.Uri);
        TestContext.Current.SendDiagnosticMessage(
            $"Azurite ready in {azurite.StartupTime.TotalSeconds:0.00} s (own process: {azurite.OwnsProcess}).");
    }

    [Theory]
    [InlineData("Smoke_Test", "smoke-test-")]
    [InlineData("--a--b--", "a-b-")]
    [InlineData("", "c-")]
    [InlineData("ÄÖÜ", "c-")]
    public void UniqueContainerName_AnyPrefix_IsAValidContainerName(string prefix, string expectedStart)
    {
        var name = AzuriteFixture.UniqueContainerName(prefix);

        Assert.StartsWith(expectedStart, name, StringComparison.Ordinal);
        Assert.Matches("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$", name);
    }

    [Fact]
    public void UniqueContainerName_LongPrefix_IsCutTo63Characters()
    {
        var name = AzuriteFixture.UniqueContainerName(new string('x', 100));

        Assert.Equal(63, name.Length);
        Assert.Matches("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$", name);
    }
}
