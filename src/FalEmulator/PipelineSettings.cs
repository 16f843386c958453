using FalEmulator.Api;

namespace FalEmulator;

/// <summary>
/// The settings that point a pipeline host at a fal emulator: fal's queue and platform API, the key, the JWKS fal's
/// webhooks are signed with, and the host videos are downloaded from (over plain http). One place for the local host,
/// the tests, the benchmark and the chaos audit, as configuration values or, with <see cref="AsArguments"/>, as a
/// program's command line.
/// <code>builder.Configuration.AddInMemoryCollection(PipelineSettings.For(fal));</code>
/// </summary>
public static class PipelineSettings
{
    /// <summary>The settings for an emulator running in this process.</summary>
    public static IReadOnlyDictionary<string, string?> For(FalEmulatorHost emulator)
    {
        ArgumentNullException.ThrowIfNull(emulator);
        return For(emulator.BaseAddress, emulator.ApiKey);
    }

    /// <param name="emulator">The emulator's own address: its JWKS, and the host of the files it serves.</param>
    /// <param name="apiKey">A key the emulator takes (<c>FalEmulator:ApiKeys</c>).</param>
    /// <param name="api">
    /// Where the pipeline calls fal's queue and platform API when not at the emulator itself: a proxy in front of it.
    /// </param>
    public static IReadOnlyDictionary<string, string?> For(Uri emulator, string apiKey, Uri? api = null)
    {
        ArgumentNullException.ThrowIfNull(emulator);
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        var calls = (api ?? emulator).ToString();
        return new Dictionary<string, string?>
        {
            ["Fal:BaseUrl"] = calls,
            ["Fal:AdminBaseUrl"] = calls, // the emulator serves fal's platform API (the request history) too
            ["FAL_KEY"] = apiKey, // a real key, if one is set, never goes to the emulator
            ["FalWebhook:JwksUrl"] = emulator.ToString().TrimEnd('/') + ControlApi.JwksPath,
            ["Pipeline:MediaHosts:0"] = emulator.Host,
            ["Pipeline:AllowHttpDownloads"] = "true",
        };
    }

    /// <summary>The settings as a program's command line: <c>--Fal:BaseUrl http://… --FAL_KEY …</c>.</summary>
    public static string[] AsArguments(this IReadOnlyDictionary<string, string?> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return [.. settings.SelectMany(s => new[] { "--" + s.Key, s.Value ?? "" })];
    }
}
