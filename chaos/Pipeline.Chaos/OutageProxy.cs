using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pipeline.Chaos;

/// <summary>
/// Stands between the pipeline host and one dependency on a loopback port of its own. Outside an outage it forwards
/// every request faithfully: method, path and query exactly as sent (storage signatures cover them), every header
/// including the original <c>Host</c> (so a server that builds URLs from it, as fal does, names the proxy), bodies
/// streamed both ways, status, reason and headers back; a broken upstream transfer breaks the client's too. During an
/// outage it either stops listening (<see cref="OutageMode.Refuse"/>) or answers 503 with the dependency's own error
/// (<see cref="OutageMode.ServiceUnavailable"/>).
/// </summary>
public sealed class OutageProxy : IAsyncDisposable
{
    // Per connection or about the message framing: the proxy's own connections decide them.
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Expect", "Host",
    };

    private static readonly UriCreationOptions AsSent = new() { DangerousDisablePathAndQueryCanonicalization = true };

    private readonly string _upstream;
    private readonly RequestDelegate _answerUnavailable;
    private readonly HttpClient _forward;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private WebApplication? _server;
    private volatile bool _answeringUnavailable;
    private int _port;
    private long _forwarded;
    private long _unavailable;

    private OutageProxy(Uri upstream, RequestDelegate unavailable)
    {
        _upstream = upstream.GetLeftPart(UriPartial.Authority);
        _answerUnavailable = unavailable;
        _forward = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan, // the caller's own timeouts rule, as without a proxy
        };
    }

    /// <summary>Where clients reach the dependency through the proxy (<c>http://127.0.0.1:{port}</c>).</summary>
    public Uri Address => new($"http://127.0.0.1:{_port}");

    /// <summary>Requests forwarded so far (the proof that a client went through the proxy at all).</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Requests answered 503 so far.</summary>
    public long AnsweredUnavailable => Interlocked.Read(ref _unavailable);

    /// <summary>The outage under way, if any.</summary>
    public OutageMode? Outage { get; private set; }

    /// <summary>Starts forwarding to <paramref name="upstream"/>'s scheme, host and port.</summary>
    /// <param name="unavailable">Writes the dependency's 503.</param>
    public static async Task<OutageProxy> StartAsync(
        Uri upstream, RequestDelegate unavailable, CancellationToken cancellationToken = default)
    {
        var proxy = new OutageProxy(upstream, unavailable);
        await proxy.ListenAsync(cancellationToken);
        return proxy;
    }

    public async Task BeginOutageAsync(OutageMode mode, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await EndCurrentAsync(cancellationToken);
            Outage = mode;
            if (mode == OutageMode.ServiceUnavailable)
            {
                _answeringUnavailable = true;
            }
            else
            {
                await StopListeningAsync();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task EndOutageAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await EndCurrentAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopListeningAsync();
        _forward.Dispose();
        _gate.Dispose();
    }

    private async Task EndCurrentAsync(CancellationToken cancellationToken)
    {
        _answeringUnavailable = false;
        if (_server is null)
        {
            await ListenAsync(cancellationToken);
        }

        Outage = null;
    }

    /// <summary>Listens on the proxy's port (any free one the first time); the port of a refused outage may linger briefly.</summary>
    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var server = Build();
            try
            {
                await server.StartAsync(cancellationToken);
                _port = new Uri(server.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
                    .Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()).Port;
                _server = server;
                return;
            }
            catch (IOException e) when (attempt < 50
                                        && e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                await server.DisposeAsync();
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    /// <summary>Stops listening and cuts every open connection at once, as a dependency that goes away does.</summary>
    private async Task StopListeningAsync()
    {
        if (_server is not { } server)
        {
            return;
        }

        _server = null;
        using var now = new CancellationTokenSource();
        await now.CancelAsync();
        await server.StopAsync(now.Token);
        await server.DisposeAsync();
    }

    private WebApplication Build()
    {
        var builder = WebApplication.CreateSlimBuilder(
            new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.Zero);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false; // the upstream's Server header goes back instead
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Listen(IPAddress.Loopback, _port, listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        return app;
    }

    private Task HandleAsync(HttpContext http)
    {
        if (_answeringUnavailable)
        {
            Interlocked.Increment(ref _unavailable);
            return _answerUnavailable(http);
        }

        Interlocked.Increment(ref _forwarded);
        return ForwardAsync(http);
    }

    private async Task ForwardAsync(HttpContext http)
    {
        using var request = RequestFor(http);
        HttpResponseMessage response;
        try
        {
            response = await _forward.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted);
        }
        catch (HttpRequestException e) when (!http.RequestAborted.IsCancellationRequested)
        {
            // The dependency itself is not there (a host being restarted): what a gateway in front of it answers.
            http.Response.StatusCode = StatusCodes.Status502BadGateway;
            await http.Response.WriteAsync($"outage proxy: {_upstream} did not answer: {e.Message}", CancellationToken.None);
            return;
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away
        }

        using (response)
        {
            http.Response.StatusCode = (int)response.StatusCode;
            http.Features.GetRequiredFeature<IHttpResponseFeature>().ReasonPhrase = response.ReasonPhrase;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name))
                {
                    http.Response.Headers[name] = values.ToArray();
                }
            }

            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(http.RequestAborted);
                await body.CopyToAsync(http.Response.Body, http.RequestAborted);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
            {
                // Cut short upstream (or by the client): the client must see a broken transfer, not a short whole one.
                http.Abort();
            }
        }
    }

    private HttpRequestMessage RequestFor(HttpContext http)
    {
        var target = http.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), new Uri(_upstream + target, in AsSent))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var bodyDetection = http.Features.Get<IHttpRequestBodyDetectionFeature>();
        if (bodyDetection?.CanHaveBody == true)
        {
            request.Content = new StreamContent(http.Request.Body);
        }

        foreach (var (name, values) in http.Request.Headers)
        {
            if (HopByHop.Contains(name) || request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                continue;
            }

            // A content header (Content-Length: 0, Content-Type, Content-MD5 …): signed by storage, so kept even without a body.
            request.Content ??= new ByteArrayContent([]);
            request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }

        request.Headers.Host = http.Request.Host.Value;
        return request;
    }
}
