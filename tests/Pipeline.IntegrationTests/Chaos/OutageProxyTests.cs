using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Xml.Linq;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Chaos;

namespace Pipeline.IntegrationTests.Chaos;

/// <summary>
/// The chaos run's outage proxy against a tiny Kestrel backend: it forwards faithfully (large bodies streamed intact
/// both ways, the request as sent, the answer as given), and during an outage it refuses connections or answers 503
/// with the dependency's own error.
/// </summary>
public sealed class OutageProxyTests : IAsyncLifetime
{
    private const long LargeBody = 48L * 1024 * 1024;

    private readonly TaskCompletionSource _releaseTrickle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private WebApplication? _backend;
    private Uri? _backendAddress;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        app.MapPost("/echo/{**rest}", async (HttpContext http) =>
        {
            // Hashes what came in, as it comes, and says what it saw of the request.
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            long length = 0;
            for (int read; (read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0; length += read)
            {
                hash.AppendData(buffer, 0, read);
            }

            http.Response.StatusCode = 201;
            http.Features.GetRequiredFeature<IHttpResponseFeature>().ReasonPhrase = "Made It";
            http.Response.Headers["x-ms-request-id"] = "echo-1";
            http.Response.Headers["x-seen-host"] = http.Request.Host.Value;
            http.Response.Headers["x-seen-target"] = http.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
            http.Response.Headers["x-seen-custom"] = http.Request.Headers["x-custom"].ToString();
            http.Response.Headers["x-seen-content-type"] = http.Request.ContentType;
            await http.Response.WriteAsync($"{length} {Convert.ToHexString(hash.GetHashAndReset())}", http.RequestAborted);
        });
        app.MapGet("/large", async (HttpContext http) =>
        {
            http.Response.ContentLength = LargeBody;
            var block = new byte[64 * 1024];
            for (long sent = 0; sent < LargeBody; sent += block.Length)
            {
                Pattern(sent, block);
                await http.Response.Body.WriteAsync(block, http.RequestAborted);
            }
        });
        app.MapGet("/trickle", async (HttpContext http) =>
        {
            // Half now, half once the test has seen the first half arrive: a buffering proxy would hang here.
            http.Response.ContentLength = 2;
            await http.Response.Body.WriteAsync("a"u8.ToArray(), http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
            await _releaseTrickle.Task.WaitAsync(http.RequestAborted);
            await http.Response.Body.WriteAsync("b"u8.ToArray(), http.RequestAborted);
        });
        app.MapDelete("/gone", () => Results.NoContent());
        await app.StartAsync(Token);
        _backend = app;
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>();
        _backendAddress = new Uri(addresses.Addresses.First());
    }

    public async ValueTask DisposeAsync()
    {
        _releaseTrickle.TrySetResult();
        _http.Dispose();
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }
    }

    [Fact]
    public async Task Forwarding_ALargeStreamedUploadAndDownload_ArriveIntact()
    {
        await using var proxy = await OutageProxy.StartAsync(_backendAddress!, UnavailableAnswer.Fal, Token);
        var upload = new byte[LargeBody];
        Random.Shared.NextBytes(upload);

        // Chunked (no length) and with a length: both framings reach the backend whole.
        foreach (var withLength in new[] { false, true })
        {
            using var content = new StreamContent(new MemoryStream(upload), 64 * 1024);
            if (withLength)
            {
                content.Headers.ContentLength = upload.Length;
            }

            using var response = await _http.PostAsync(new Uri(proxy.Address, "/echo/x"), content, Token);
            var seen = await response.Content.ReadAsStringAsync(Token);
            Assert.Equal($"{upload.Length} {Convert.ToHexString(SHA256.HashData(upload))}", seen);
        }

        using var download = await _http.GetAsync(new Uri(proxy.Address, "/large"), HttpCompletionOption.ResponseHeadersRead, Token);
        Assert.Equal(LargeBody, download.Content.Headers.ContentLength);
        await using var body = await download.Content.ReadAsStreamAsync(Token);
        var expected = new byte[64 * 1024];
        var got = new byte[expected.Length];
        for (long at = 0; at < LargeBody; at += got.Length)
        {
            await body.ReadExactlyAsync(got, Token);
            Pattern(at, expected);
            Assert.True(got.AsSpan().SequenceEqual(expected), $"the download differs in the block at {at}");
        }

        Assert.Equal(0, await body.ReadAsync(got, Token));
    }

    [Fact]
    public async Task Forwarding_AResponseBody_PassesEachPartOnAsItComes()
    {
        await using var proxy = await OutageProxy.StartAsync(_backendAddress!, UnavailableAnswer.Fal, Token);

        using var response = await _http.GetAsync(new Uri(proxy.Address, "/trickle"), HttpCompletionOption.ResponseHeadersRead, Token);
        await using var body = await response.Content.ReadAsStreamAsync(Token);
        var first = new byte[1];
        await body.ReadExactlyAsync(first, Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token);
        _releaseTrickle.SetResult();

        Assert.Equal("a", System.Text.Encoding.ASCII.GetString(first));
        Assert.Equal("b", await new StreamReader(body).ReadToEndAsync(Token));
    }

    [Fact]
    public async Task Forwarding_ARequest_KeepsItsTargetHeadersAndHostAndGivesBackStatusReasonAndHeaders()
    {
        await using var proxy = await OutageProxy.StartAsync(_backendAddress!, UnavailableAnswer.Fal, Token);
        const string target = "/echo/devstoreaccount1/jobs/open%2Fa%20b?comp=list&prefix=open%2F&sig=a%2Bb%3D";
        var asSent = new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true };
        var url = new Uri(proxy.Address + target.TrimStart('/'), asSent);
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-custom", "kept");

        using var response = await _http.SendAsync(request, Token);
        using var deleted = await _http.DeleteAsync(new Uri(proxy.Address, "/gone"), Token);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("Made It", response.ReasonPhrase);
        Assert.Equal("echo-1", response.Headers.GetValues("x-ms-request-id").Single());
        Assert.Equal(target, response.Headers.GetValues("x-seen-target").Single());
        Assert.Equal($"127.0.0.1:{proxy.Address.Port}", response.Headers.GetValues("x-seen-host").Single());
        Assert.Equal("kept", response.Headers.GetValues("x-seen-custom").Single());
        Assert.Equal("application/json; charset=utf-8", response.Headers.GetValues("x-seen-content-type").Single());
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task RefuseOutage_DuringTheWindow_RefusesConnectionsThenForwardsOnTheSamePortAgain()
    {
        await using var proxy = await OutageProxy.StartAsync(_backendAddress!, UnavailableAnswer.Fal, Token);
        var address = proxy.Address;
        using (var before = await _http.DeleteAsync(new Uri(address, "/gone"), Token))
        {
            Assert.Equal(HttpStatusCode.NoContent, before.StatusCode);
        }

        await proxy.BeginOutageAsync(OutageMode.Refuse, Token);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => _http.DeleteAsync(new Uri(address, "/gone"), Token));
        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(refused.InnerException).SocketErrorCode);
        Assert.Equal(OutageMode.Refuse, proxy.Outage);

        await proxy.EndOutageAsync(Token);
        using var after = await _http.DeleteAsync(new Uri(address, "/gone"), Token);
        Assert.Equal(HttpStatusCode.NoContent, after.StatusCode);
        Assert.Equal(address, proxy.Address);
        Assert.Null(proxy.Outage);
    }

    [Fact]
    public async Task RefuseOutage_BegunDuringADownload_CutsItShort()
    {
        await using var proxy = await OutageProxy.StartAsync(_backendAddress!, UnavailableAnswer.Fal, Token);
        using var response = await _http.GetAsync(new Uri(proxy.Address, "/trickle"), HttpCompletionOption.ResponseHeadersRead, Token);
        await using var body = await response.Content.ReadAsStreamAsync(Token);
        await body.ReadExactlyAsync(new byte[1], Token);

        await proxy.BeginOutageAsync(OutageMode.Refuse, Token);

        await Assert.ThrowsAnyAsync<IOException>(async () => await body.ReadExactlyAsync(new byte[1], Token));
    }

    [Fact]
    public async Task ServiceUnavailableOutage_InFrontOfBlobStorage_AnswersServerBusyAsTheSdkReadsIt()
    {
        await using var proxy = await OutageProxy.StartAsync(_backendAddress!, UnavailableAnswer.StorageXml, Token);
        await proxy.BeginOutageAsync(OutageMode.ServiceUnavailable, Token);

        using var raw = await _http.GetAsync(new Uri(proxy.Address, "/devstoreaccount1/videos?restype=container"), Token);
        var blobs = new BlobServiceClient(new Uri(proxy.Address, "/devstoreaccount1"),
            new StorageSharedKeyCredential("devstoreaccount1", Convert.ToBase64String(new byte[64])),
            new BlobClientOptions { Retry = { MaxRetries = 0 } });
        var container = blobs.GetBlobContainerClient("videos");
        var failed = await Assert.ThrowsAsync<RequestFailedException>(() => container.GetPropertiesAsync(cancellationToken: Token));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, raw.StatusCode);
        Assert.Equal("ServerBusy", raw.Headers.GetValues("x-ms-error-code").Single());
        Assert.Equal("application/xml", raw.Content.Headers.ContentType!.MediaType);
        var error = XDocument.Parse(await raw.Content.ReadAsStringAsync(Token)).Root!;
        Assert.Equal("Error", error.Name.LocalName);
        Assert.Equal("ServerBusy", error.Element("Code")!.Value);
        Assert.StartsWith("The server is busy.", error.Element("Message")!.Value, StringComparison.Ordinal);
        Assert.Equal(503, failed.Status);
        Assert.Equal("ServerBusy", failed.ErrorCode);

        await proxy.EndOutageAsync(Token);
        using var after = await _http.DeleteAsync(new Uri(proxy.Address, "/gone"), Token);
        Assert.Equal(HttpStatusCode.NoContent, after.StatusCode);
    }

    [Fact]
    public async Task ServiceUnavailableOutage_InFrontOfTableStorage_AnswersTheODataError()
    {
        await using var proxy = await OutageProxy.StartAsync(_backendAddress!, UnavailableAnswer.StorageTable, Token);
        await proxy.BeginOutageAsync(OutageMode.ServiceUnavailable, Token);
        var tables = new Azure.Data.Tables.TableClient(new Uri(proxy.Address, "/devstoreaccount1"), "hub",
            new Azure.Data.Tables.TableSharedKeyCredential("devstoreaccount1", Convert.ToBase64String(new byte[64])),
            new Azure.Data.Tables.TableClientOptions { Retry = { MaxRetries = 0 } });

        var failed = await Assert.ThrowsAsync<RequestFailedException>(
            () => tables.GetEntityAsync<Azure.Data.Tables.TableEntity>("p", "r", cancellationToken: Token));

        Assert.Equal(503, failed.Status);
        Assert.Equal("ServerBusy", failed.ErrorCode);
    }

    /// <summary>The bytes at <paramref name="offset"/> of the large download: a lost or repeated block shows.</summary>
    private static void Pattern(long offset, byte[] block)
    {
        for (var i = 0; i < block.Length; i++)
        {
            block[i] = (byte)((offset + i) * 31 >> 3);
        }
    }
}
