using Microsoft.Extensions.Options;
using Pipeline.Core.Fal;

namespace Pipeline.UnitTests.Fal;

/// <summary>
/// A <see cref="FalQueueClient"/> over a <see cref="StubHttpHandler"/>, with captured logs and recorded (not slept) backoff.
/// </summary>
internal sealed class FalClientHarness
{
    public const string Key = "3f2a9c1e-key-id:9b7d0c55e1f4a2b8secret";
    public const string KeySecret = "9b7d0c55e1f4a2b8secret";
    public const string Endpoint = "bytedance/seedance-2.0/fast/image-to-video";
    public const string RequestId = "8c1f2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f";

    public static readonly Uri BaseUrl = new("https://queue.fal.test");
    public static readonly Uri StatusUrl = new($"https://queue.fal.test/bytedance/seedance-2.0/requests/{RequestId}/status");
    public static readonly Uri ResponseUrl = new($"https://queue.fal.test/bytedance/seedance-2.0/requests/{RequestId}");
    public static readonly Uri CancelUrl = new($"https://queue.fal.test/bytedance/seedance-2.0/requests/{RequestId}/cancel");

    private readonly List<TimeSpan> _delays = [];

    public StubHttpHandler Handler { get; } = new();

    public CapturingLogger<FalQueueClient> Logger { get; } = new();

    public FalQueueClientOptions Options { get; } = new() { BaseUrl = BaseUrl, Key = Key };

    /// <summary>Clock for timeouts and Retry-After dates.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>What a backoff wait does after being recorded; by default it returns at once.</summary>
    public Func<TimeSpan, CancellationToken, Task> OnDelay { get; set; } = (_, _) => Task.CompletedTask;

    public IReadOnlyList<TimeSpan> Delays => _delays;

    public FalQueueClient CreateClient() =>
        new(new HttpClient(Handler), Microsoft.Extensions.Options.Options.Create(Options), Logger, Time, (wait, token) =>
        {
            _delays.Add(wait);
            return OnDelay(wait, token);
        });

    public static string SubmitAnswer => $$"""
        {
          "status": "IN_QUEUE",
          "request_id": "{{RequestId}}",
          "gateway_request_id": "gw-{{RequestId}}",
          "response_url": "{{ResponseUrl}}",
          "status_url": "{{StatusUrl}}",
          "cancel_url": "{{CancelUrl}}",
          "queue_position": 2,
          "logs": null,
          "something_new": { "nested": [1, 2, 3] }
        }
        """;

    public static string VideoAnswer => """
        {
          "video": {
            "url": "https://v3b.fal.media/files/b/kangaroo/output.mp4",
            "content_type": "video/mp4",
            "file_name": "output.mp4",
            "file_size": 1843211
          },
          "seed": 3141592653
        }
        """;
}

/// <summary>A clock stopped at one instant (timers still run on the system clock).</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
