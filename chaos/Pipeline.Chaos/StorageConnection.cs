namespace Pipeline.Chaos;

/// <summary>
/// A storage connection string's service endpoints (<c>BlobEndpoint</c>, <c>QueueEndpoint</c>, <c>TableEndpoint</c>),
/// read and moved: the chaos run's host gets the same account behind proxies, the path (<c>/devstoreaccount1</c>, as
/// Azurite's path-style URLs have it) and the key unchanged.
/// </summary>
public sealed class StorageConnection
{
    public const string Blob = "BlobEndpoint";
    public const string Queue = "QueueEndpoint";
    public const string Table = "TableEndpoint";

    private const string WellKnownKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly List<KeyValuePair<string, string>> _parts;

    private StorageConnection(List<KeyValuePair<string, string>> parts) => _parts = parts;

    public static StorageConnection Parse(string connectionString)
    {
        var parts = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => KeyValuePair.Create(p[0].Trim(), p.Length > 1 ? p[1].Trim() : ""))
            .ToList();
        if (parts.Any(p => p.Key.Equals("UseDevelopmentStorage", StringComparison.OrdinalIgnoreCase)))
        {
            // Azurite on its default ports, spelled out so that each endpoint can be moved.
            return Parse($"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={WellKnownKey};"
                + $"{Blob}=http://127.0.0.1:10000/devstoreaccount1;{Queue}=http://127.0.0.1:10001/devstoreaccount1;"
                + $"{Table}=http://127.0.0.1:10002/devstoreaccount1");
        }

        return new StorageConnection(parts);
    }

    public Uri Endpoint(string service) =>
        _parts.FirstOrDefault(p => p.Key.Equals(service, StringComparison.OrdinalIgnoreCase)).Value is { Length: > 0 } url
            ? new Uri(url)
            : throw new InvalidOperationException($"the storage connection string names no {service} (the proxies need each endpoint)");

    /// <summary>The same with <paramref name="service"/>'s scheme, host and port those of <paramref name="proxy"/>.</summary>
    public StorageConnection WithEndpointAt(string service, Uri proxy)
    {
        var moved = new UriBuilder(Endpoint(service)) { Scheme = proxy.Scheme, Host = proxy.Host, Port = proxy.Port }.Uri;
        var value = moved.ToString().TrimEnd('/');
        return new StorageConnection(
            [.. _parts.Select(p => p.Key.Equals(service, StringComparison.OrdinalIgnoreCase) ? KeyValuePair.Create(p.Key, value) : p)]);
    }

    public override string ToString() => string.Join(';', _parts.Select(p => $"{p.Key}={p.Value}"));
}
