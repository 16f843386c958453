using System.Net;
using System.Text;

namespace Pipeline.UnitTests.Hardening;

/// <summary>Serves whatever JWKS document the test currently sets (or throws), and counts the fetches; no network.</summary>
internal sealed class JwksHandler : HttpMessageHandler
{
    private int _fetches;

    /// <summary>The document served by the next fetch.</summary>
    public string Json { get; set; } = """{"keys":[]}""";

    /// <summary>When set, every fetch fails with it instead.</summary>
    public Exception? Failure { get; set; }

    public HttpStatusCode Status { get; set; } = HttpStatusCode.OK;

    /// <summary>When set, fetches answer only once this task completes (a slow JWKS endpoint).</summary>
    public Task? Hold { get; set; }

    public int Fetches => Volatile.Read(ref _fetches);

    public Uri? LastUri { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _fetches);
        LastUri = request.RequestUri;
        if (Hold is { } hold)
        {
            await hold.WaitAsync(cancellationToken);
        }

        if (Failure is not null)
        {
            throw Failure;
        }

        return new HttpResponseMessage(Status) { Content = new StringContent(Json, Encoding.UTF8, "application/json") };
    }
}
