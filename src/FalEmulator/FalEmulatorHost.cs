using FalEmulator.Api;
using FalEmulator.Faults;
using FalEmulator.Options;
using FalEmulator.Queue;
using FalEmulator.Recording;
using FalEmulator.Webhooks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace FalEmulator;

/// <summary>
/// The emulator running inside another process (tests, benchmarks, the local host) on a free loopback port.
/// <code>await using var fal = await FalEmulatorHost.StartAsync(o => o.TimeScale = 0.01);</code>
/// </summary>
public sealed class FalEmulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FalEmulatorHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>The queue's base URL, in place of <c>https://queue.fal.run</c> (no trailing slash).</summary>
    public Uri BaseAddress { get; }

    public string JwksUrl => $"{BaseAddress.ToString().TrimEnd('/')}{ControlApi.JwksPath}";

    /// <summary>The first accepted key, for <c>Authorization: Key …</c>.</summary>
    public string ApiKey => Options.ApiKeys[0];

    public FalEmulatorOptions Options => _app.Services.GetRequiredService<IOptions<FalEmulatorOptions>>().Value;

    public CallRecorder Recorder => _app.Services.GetRequiredService<CallRecorder>();

    public RequestStore Requests => _app.Services.GetRequiredService<RequestStore>();

    public WebhookSigner Signer => _app.Services.GetRequiredService<WebhookSigner>();

    /// <summary>Sets the faults every request meets from now on (same syntax as the per-request header).</summary>
    public void SetFaults(string spec) => _app.Services.GetRequiredService<InstanceFaults>().Set(spec);

    /// <summary>Makes the request history answer 503: <c>on</c>, <c>off</c> or for a while (<c>30s</c>, fal time).</summary>
    public void SetHistoryOutage(string spec) => _app.Services.GetRequiredService<HistoryOutage>().Set(spec);

    public static async Task<FalEmulatorHost> StartAsync(Action<FalEmulatorOptions>? configure = null, int port = 0,
        CancellationToken cancellationToken = default)
    {
        var app = EmulatorApp.Build([], configure, builder =>
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddSingleton<IHostLifetime, HostedLifetime>();
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FalEmulatorHost(app, new Uri(address.TrimEnd('/')));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>
    /// Inside another program the emulator stops when its owner disposes it, not on Ctrl+C or SIGTERM: a console lifetime
    /// of its own heard a signal sent while it started and threw from the owner's start-up.
    /// </summary>
    private sealed class HostedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
