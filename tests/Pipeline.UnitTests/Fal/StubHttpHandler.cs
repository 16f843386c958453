using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Pipeline.UnitTests.Fal;

/// <summary>What the client sent, captured when it was sent (the request is disposed afterwards).</summary>
internal sealed record RecordedRequest(
    HttpMethod Method,
    Uri Uri,
    AuthenticationHeaderValue? Authorization,
    MediaTypeHeaderValue? ContentType,
    string? Body,
    string Headers);

/// <summary>Answers the client's requests from a script, in order, and records them; no network.</summary>
internal sealed class StubHttpHandler : HttpMessageHandler
{
    private readonly Queue<Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>> _script = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public StubHttpHandler Respond(HttpStatusCode status, string? json = null, Action<HttpResponseMessage>? configure = null) =>
        Respond((_, _) =>
        {
            var response = new HttpResponseMessage(status);
            if (json is not null)
            {
                response.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            configure?.Invoke(response);
            return Task.FromResult(response);
        });

    public StubHttpHandler Respond(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> responder)
    {
        lock (_gate)
        {
            _script.Enqueue(responder);
        }

        return this;
    }

    public StubHttpHandler Throw(Exception exception) => Respond((_, _) => Task.FromException<HttpResponseMessage>(exception));

    /// <summary>Never answers: only the token given to the handler (timeout or caller) ends the wait.</summary>
    public StubHttpHandler Hang() => Respond(async (_, token) =>
    {
        await Task.Delay(Timeout.Infinite, token);
        throw new InvalidOperationException("unreachable");
    });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> next;
        lock (_gate)
        {
            _requests.Add(new RecordedRequest(request.Method, request.RequestUri!, request.Headers.Authorization,
                request.Content?.Headers.ContentType, body, request.Headers.ToString()));
            if (!_script.TryDequeue(out next!))
            {
                throw new InvalidOperationException($"Unscripted request {request.Method} {request.RequestUri}");
            }
        }

        return await next(request, cancellationToken);
    }
}
