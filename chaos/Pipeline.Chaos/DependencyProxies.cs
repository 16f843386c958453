using Microsoft.AspNetCore.Http;

namespace Pipeline.Chaos;

/// <summary>
/// The outage proxies of a chaos run, one per dependency named in <c>--outages</c> (the others are reached directly):
/// fal's queue API (<c>Fal:BaseUrl</c>), fal's file host (the emulator's <c>FalEmulator:FilesBaseUrl</c>), Event Grid
/// (<c>EventGrid:TopicEndpoint</c>, in front of the host's own sink) and storage (one proxy each for blob, queue and
/// table, all out together). The chaos run's own storage calls (drops, audit) go straight to the storage.
/// </summary>
public sealed class DependencyProxies : IAsyncDisposable
{
    private readonly Dictionary<Dependency, List<OutageProxy>> _proxies = [];

    private DependencyProxies()
    {
    }

    /// <summary>fal's queue API through its proxy, if fal is among the outages.</summary>
    public Uri? Fal { get; private set; }

    /// <summary>The base of fal's file URLs through its proxy, if files are among the outages.</summary>
    public Uri? Files { get; private set; }

    /// <summary>The Event Grid host through its proxy (the topic is at <c>/eventgrid/api/events</c> there).</summary>
    public Uri? EventGrid { get; private set; }

    /// <summary>The storage connection string with every endpoint at its proxy, if storage is among the outages.</summary>
    public string? Storage { get; private set; }

    public static async Task<DependencyProxies> StartAsync(
        IEnumerable<Dependency> dependencies, Uri emulator, Uri host, string storage, CancellationToken cancellationToken)
    {
        var proxies = new DependencyProxies();
        try
        {
            foreach (var dependency in dependencies.Distinct())
            {
                switch (dependency)
                {
                    case Dependency.Fal:
                        proxies.Fal = (await proxies.AddAsync(dependency, emulator, UnavailableAnswer.Fal, cancellationToken)).Address;
                        break;
                    case Dependency.Files:
                        proxies.Files = (await proxies.AddAsync(dependency, emulator, UnavailableAnswer.Fal, cancellationToken)).Address;
                        break;
                    case Dependency.EventGrid:
                        proxies.EventGrid =
                            (await proxies.AddAsync(dependency, host, UnavailableAnswer.EventGrid, cancellationToken)).Address;
                        break;
                    case Dependency.Storage:
                        var connection = StorageConnection.Parse(storage);
                        foreach (var (service, answer) in new (string, RequestDelegate)[]
                                 {
                                     (StorageConnection.Blob, UnavailableAnswer.StorageXml),
                                     (StorageConnection.Queue, UnavailableAnswer.StorageXml),
                                     (StorageConnection.Table, UnavailableAnswer.StorageTable),
                                 })
                        {
                            var proxy = await proxies.AddAsync(dependency, connection.Endpoint(service), answer, cancellationToken);
                            connection = connection.WithEndpointAt(service, proxy.Address);
                        }

                        proxies.Storage = connection.ToString();
                        break;
                }
            }

            return proxies;
        }
        catch
        {
            await proxies.DisposeAsync();
            throw;
        }
    }

    /// <summary>Per dependency: the requests its proxies forwarded, and those they answered 503.</summary>
    public IReadOnlyDictionary<Dependency, (long Forwarded, long AnsweredUnavailable)> Traffic() =>
        _proxies.ToDictionary(p => p.Key, p => (p.Value.Sum(x => x.Forwarded), p.Value.Sum(x => x.AnsweredUnavailable)));

    public Task BeginOutageAsync(Dependency dependency, OutageMode mode, CancellationToken cancellationToken) =>
        Task.WhenAll(_proxies[dependency].Select(p => p.BeginOutageAsync(mode, cancellationToken)));

    public Task EndOutageAsync(Dependency dependency, CancellationToken cancellationToken) =>
        Task.WhenAll(_proxies[dependency].Select(p => p.EndOutageAsync(cancellationToken)));

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _proxies.Values.SelectMany(p => p))
        {
            await proxy.DisposeAsync();
        }
    }

    private async Task<OutageProxy> AddAsync(
        Dependency dependency, Uri upstream, RequestDelegate unavailable, CancellationToken cancellationToken)
    {
        var proxy = await OutageProxy.StartAsync(upstream, unavailable, cancellationToken);
        if (!_proxies.TryGetValue(dependency, out var list))
        {
            _proxies[dependency] = list = [];
        }

        list.Add(proxy);
        return proxy;
    }
}
