using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Hardening;

/// <summary>
/// The anonymous webhook under a flood of strangers' oversized deliveries, measured on the local host as its own
/// process (its peak resident memory from /proc): refused before or while being read, at constant memory.
/// </summary>
[Collection(RunAlone.Name)]
public sealed class WebhookFloodTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private const string Job = "api-0123456789abcdef0123456789abcdef";

    /// <summary>The token the local host gives this job's webhook URL (its key derives from the emulator's fal key).</summary>
    private static string ValidToken => new global::Pipeline.Core.Webhooks.WebhookToken(
        Microsoft.Extensions.Options.Options.Create(new global::Pipeline.Core.Options.FalWebhookOptions()),
        Microsoft.Extensions.Options.Options.Create(new global::Pipeline.Core.Fal.FalQueueClientOptions
        {
            Key = new FalEmulator.Options.FalEmulatorOptions().ApiKeys[0],
        })).For(Job);

    [Fact]
    public async Task FloodOfOversizedWebhooks_CostsTheHostConstantMemoryAndEveryOneIsRefused()
    {
        await using var ownAzurite = new AzuriteFixture();
        await ownAzurite.InitializeAsync();
        var home = Directory.CreateTempSubdirectory("pipeline-flood-").FullName;
        var port = LocalHostProcess.FreePort();
        await using var host = await LocalHostProcess.StartProgramAsync(home, port, ownAzurite.ConnectionString,
            LocalHostProcess.TestArguments(port, "t" + Guid.NewGuid().ToString("N")[..10]));
        using var warm = await host.Http.GetAsync("/api/videos", Token);
        await Task.Delay(1000, Token);
        var idle = host.ResidentBytes();
        host.ResetPeakResident();

        // The flood that took the host from 305 MB to 1.34 GB before: 20 parallel unsigned 29 MB deliveries, half of them without a
        // token (refused unread), half chunked (no declared length) with the job's real token, as if it had leaked (read up to
        // the limit, then refused) and forged signature headers. Kestrel holds at most 1 MB of a request body per connection.
        const long Size = 29L * 1024 * 1024;
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var chunked = i % 2 == 1;
            var url = $"http://127.0.0.1:{port}/api/fal/webhook?job={Job}" + (chunked ? $"&token={ValidToken}" : "");
            var content = new StreamContent(new ZeroStream(Size));
            content.Headers.ContentLength = chunked ? null : Size;
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
            if (chunked)
            {
                // Forged signature headers: present, so the body is read (up to the limit) to be verified.
                foreach (var name in new[] { "Request-Id", "User-Id", "Timestamp", "Signature" })
                {
                    request.Headers.Add($"X-Fal-Webhook-{name}", "forged");
                }
            }

            try
            {
                using var response = await client.SendAsync(request, Token);
                return (int)response.StatusCode;
            }
            catch (HttpRequestException)
            {
                return 0; // the host answered and closed the connection before taking the rest
            }
        }));
        var peak = host.PeakResidentBytes();

        Assert.All(answers.Where((_, i) => i % 2 == 0), a => Assert.Contains(a, new[] { 0, 401 }));
        Assert.All(answers.Where((_, i) => i % 2 == 1), a => Assert.Contains(a, new[] { 0, 413 }));
        Assert.True(peak - idle <= 64L * 1024 * 1024, $"peak {peak / 1048576} MB, idle {idle / 1048576} MB");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"flood: idle {idle / 1048576} MB, peak {peak / 1048576} MB, "
            + $"answers {string.Join(",", answers.GroupBy(a => a).Select(g => $"{g.Key}×{g.Count()}"))}");
    }

    /// <summary>A body of zeros, made as it is sent.</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long _sent;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _sent; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _sent);
            Array.Clear(buffer, offset, n);
            _sent += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
