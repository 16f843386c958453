using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using FalEmulator.Model;
using FalEmulator.Tests.Support;

namespace FalEmulator.Tests.Api;

/// <summary>The emulator as a person runs it: its own process on a port they choose, tried with curl-like calls.</summary>
public sealed class StandaloneProgramTests
{
    [Fact]
    public async Task Program_OnAChosenPort_ServesTheQueueApi()
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "FalEmulator.dll"),
                "--urls", $"http://127.0.0.1:{port}",
                "--FalEmulator:TimeScale", "0.01",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        using var process = Process.Start(start)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        process.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Key", "emulator-key-id:emulator-key-secret");
            await WaitForListeningAsync(http, process, output);

            using var submit = await http.PostAsync("/" + SeedanceEndpoints.TextToVideo,
                EmulatorClient.Json("""{"prompt":"curl test","resolution":"480p","duration":"4"}"""), EmulatorClient.Token);
            var statusUrl = (await EmulatorClient.ReadAsync(submit))["status_url"]!.GetValue<string>();
            HttpStatusCode code;
            do
            {
                await Task.Delay(50, EmulatorClient.Token);
                using var status = await http.GetAsync(statusUrl, EmulatorClient.Token);
                code = status.StatusCode;
            }
            while (code == HttpStatusCode.Accepted);

            Assert.Equal(HttpStatusCode.OK, submit.StatusCode);
            Assert.Equal(HttpStatusCode.OK, code);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static async Task WaitForListeningAsync(HttpClient http, Process process, IEnumerable<string> output)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(EmulatorClient.Token);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (process.HasExited)
            {
                Assert.Fail("the emulator exited: " + string.Join('\n', output));
            }

            try
            {
                using var jwks = await http.GetAsync("/.well-known/jwks.json", cts.Token);
                if (jwks.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100, cts.Token);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
