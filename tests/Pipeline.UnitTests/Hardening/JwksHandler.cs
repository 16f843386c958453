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

    public int Fetches => Volatile.Read(ref _fetches);

    public Uri? LastUri { get; private set; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _fetches);
        LastUri = request.RequestUri;
        if (Failure is not null)
        {
            return Task.FromException<HttpResponseMessage>(Failure);
        }

        return Task.FromResult(new HttpResponseMessage(Status) { Content = new StringContent(Json, Encoding.UTF8, "application/json") });
    }
}
