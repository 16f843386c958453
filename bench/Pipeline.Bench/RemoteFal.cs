using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using FalEmulator.Recording;

namespace Pipeline.Bench;

/// <summary>
/// The fal emulator in a process of its own (as fal is elsewhere), so the benchmark's process CPU is the pipeline's
/// alone and the emulator's is read apart; what it recorded is read through its control API.
/// </summary>
public sealed class RemoteFal : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly Process _process;
    private readonly HttpClient _http;

    private RemoteFal(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(1) };
    }

    public Uri BaseAddress { get; }

    /// <summary>The emulator's default key (FalEmulatorOptions.ApiKeys).</summary>
    public string ApiKey => "emulator-key-id:emulator-key-secret";

    public string JwksUrl => BaseAddress + ".well-known/jwks.json";

    public int Pid => _process.Id;

    public static async Task<RemoteFal> StartAsync(double timeScale, int port)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "FalEmulator.dll"),
                "--urls", $"http://127.0.0.1:{port}",
                "--FalEmulator:TimeScale", timeScale.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--FalEmulator:Runners", "1000",
                "--Logging:LogLevel:Default", "Warning",
            },
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("the fal emulator did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 })
            {
                Console.Error.WriteLine($"fal emulator: {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var fal = new RemoteFal(process, new Uri($"http://127.0.0.1:{port}/"));
        for (var attempt = 0; attempt < 150; attempt++)
        {
            try
            {
                using var response = await fal._http.GetAsync(".well-known/jwks.json");
                if (response.IsSuccessStatusCode)
                {
                    return fal;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        await fal.DisposeAsync();
        throw new TimeoutException("the fal emulator did not answer within 30 s");
    }

    public async Task<IReadOnlyList<RecordedCall>> CallsAsync() =>
        await _http.GetFromJsonAsync<List<RecordedCall>>("_emulator/calls", Json) ?? [];

    /// <summary>Each request's submit and completion times, by request id.</summary>
    public async Task<IReadOnlyDictionary<string, (DateTimeOffset SubmittedAt, DateTimeOffset? CompletedAt)>> RequestsAsync()
    {
        var requests = await _http.GetFromJsonAsync<JsonArray>("_emulator/requests", Json) ?? [];
        return requests.OfType<JsonObject>().ToDictionary(
            r => r["request_id"]!.GetValue<string>(),
            r => (r["submitted_at"]!.GetValue<DateTimeOffset>(), r["completed_at"]?.GetValue<DateTimeOffset?>()));
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
