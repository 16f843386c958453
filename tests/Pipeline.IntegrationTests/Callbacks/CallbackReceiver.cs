using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Pipeline.IntegrationTests.Infrastructure;

namespace Pipeline.IntegrationTests.Callbacks;

/// <summary>
/// <c>tests/Callbacks/receiver.mjs</c> as a process: a receiver that verifies each delivery with the npm
/// <c>standardwebhooks</c> package, and what it saw.
/// </summary>
public sealed class CallbackReceiver : IAsyncDisposable
{
    private readonly Process _node;
    private readonly ConcurrentQueue<JsonObject> _seen = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CallbackReceiver(Process node)
    {
        _node = node;
        node.OutputDataReceived += (_, line) =>
        {
            if (line.Data is not { Length: > 0 } text || JsonNode.Parse(text) is not JsonObject json)
            {
                return;
            }

            if (json["listening"] is { } port)
            {
                _port.TrySetResult(port.GetValue<int>());
            }
            else
            {
                _seen.Enqueue(json);
            }
        };
        node.BeginOutputReadLine();
    }

    public int Port { get; private set; }

    public string Url(string path = "/hooks/video?token=t0p-secret") => $"http://127.0.0.1:{Port}{path}";

    /// <summary>Every delivery so far, in order.</summary>
    public IReadOnlyList<JsonObject> Deliveries => [.. _seen];

    public static async Task<CallbackReceiver> StartAsync(string secret, string? previous = null, int down = 0, string? redirect = null)
    {
        var arguments = new List<string>
        {
            Path.Combine(AzuriteFixture.FindRepositoryRoot(), "tests", "Callbacks", "receiver.mjs"),
            "--secret", secret,
            "--down", down.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (flag, value) in new[] { ("--previous", previous), ("--redirect", redirect) })
        {
            if (value is not null)
            {
                arguments.AddRange([flag, value]);
            }
        }

        var start = Support.NodeScript.StartInfo([.. arguments]);
        var receiver = new CallbackReceiver(Process.Start(start)!);
        receiver.Port = await receiver._port.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return receiver;
    }

    public async Task<IReadOnlyList<JsonObject>> WaitForAsync(Func<IReadOnlyList<JsonObject>, bool> done, TimeSpan? timeout = null)
    {
        var until = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!done(Deliveries))
        {
            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException("the receiver saw: " + string.Join("\n", Deliveries.Select(d => d.ToJsonString())));
            }

            await Task.Delay(100);
        }

        return Deliveries;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_node.HasExited)
        {
            _node.Kill(entireProcessTree: true);
            await _node.WaitForExitAsync();
        }

        _node.Dispose();
    }
}
