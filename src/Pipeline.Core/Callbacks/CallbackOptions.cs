namespace Pipeline.Core.Callbacks;

/// <summary>
/// Settings of per-job callbacks (configuration section <c>Callbacks</c>; the signing secrets come from
/// <c>CALLBACK_SECRET</c>).
/// </summary>
public sealed class CallbackOptions
{
    public const string SectionName = "Callbacks";

    /// <summary>
    /// The secrets deliveries are signed with, Standard Webhooks style (<c>whsec_</c> and base64 of at least 24 random
    /// bytes): <c>CALLBACK_SECRET</c>, and while rotating also <c>CALLBACK_SECRET_PREVIOUS</c>; every delivery carries
    /// a signature under each, so receivers may move to the new secret in their own time.
    /// </summary>
    public IReadOnlyList<string> Secrets { get; set; } = [];

    /// <summary>How long an event is offered to a receiver that does not take it (from its first attempt).</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Per delivery attempt (connect, send, answer).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Plain http receivers (local development and tests only).</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Receivers on private, loopback or link-local addresses (local development and tests only).</summary>
    public bool AllowPrivateTargets { get; set; }
}
