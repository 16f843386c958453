using System.Globalization;
using System.Text.RegularExpressions;

namespace FalEmulator.Faults;

/// <summary>What the webhook of a request does instead of a plain, correctly signed delivery.</summary>
public enum WebhookFault
{
    None,
    /// <summary>Never delivered (the pipeline must fall back to polling).</summary>
    Drop,
    /// <summary>Signed with a key that is not in the emulator's JWKS.</summary>
    BadSignature,

    /// <summary>
    /// An OK delivery whose payload is null with <c>payload_error</c> set (fal could not serialize it): the result call has
    /// the video.
    /// </summary>
    NoPayload,
}

/// <summary>What the emulated model does with the request.</summary>
public enum ResultFault
{
    None,
    /// <summary>The model fails: COMPLETED with an error result and an ERROR webhook.</summary>
    Error,
}

/// <summary>What the CDN does with the output video.</summary>
public enum FileFault
{
    None,
    /// <summary>The video URL answers 404 (the file expired).</summary>
    Gone,
    /// <summary>The download promises the whole file, sends half and drops the connection.</summary>
    Truncated,

    /// <summary>The download trickles: ten slices over <see cref="FaultPlan.SlowFileDuration"/> (emulated time).</summary>
    Slow,
}

/// <summary>
/// The faults one request meets. Written as <c>key=value</c> pairs separated by <c>;</c> or <c>,</c>, in the
/// <c>X-Fal-Emulator-Faults</c> header of the submit, in a <c>[emulator: …]</c> marker anywhere in the prompt,
/// or as the instance's default (<see cref="Options.FalEmulatorOptions.DefaultFaults"/>, <c>PUT /_emulator/faults</c>).
/// A request's own keys override the instance's.
/// </summary>
public sealed record FaultPlan
{
    public static readonly FaultPlan None = new();

    /// <summary>Overrides the instance's queue latency (emulated time).</summary>
    public TimeSpan? QueueLatency { get; init; }

    /// <summary>Overrides the instance's run latency (emulated time).</summary>
    public TimeSpan? RunLatency { get; init; }

    public WebhookFault Webhook { get; init; }

    /// <summary>Extra copies of a successful delivery (each re-signed with a fresh timestamp).</summary>
    public int WebhookDuplicates { get; init; }

    /// <summary>Waits this long (emulated) after completion before the first delivery.</summary>
    public TimeSpan WebhookDelay { get; init; }

    /// <summary>The first N submits of the same body are answered 429 (rate limited).</summary>
    public int Submit429 { get; init; }

    /// <summary>The first N submits of the same body are answered 500.</summary>
    public int Submit500 { get; init; }

    /// <summary>
    /// The first N submits of the same body are accepted (queued, run, billed, webhook sent) and then the connection
    /// is dropped before the answer: the caller cannot know whether it was queued.
    /// </summary>
    public int SubmitLost { get; init; }

    /// <summary>
    /// The first N submits of the same body are accepted (queued, run, billed) but answered 200 without a <c>request_id</c>.
    /// </summary>
    public int SubmitNoId { get; init; }

    /// <summary>The submit is queued at once but answered only after this long (emulated time): a slow gateway.</summary>
    public TimeSpan SubmitDelay { get; init; }

    /// <summary>The first N result calls of the request answer 503 with no error type, as a gateway does.</summary>
    public int Result503 { get; init; }

    /// <summary>fal forgets the request once it is queued: status, result and cancel answer 404 and no webhook comes.</summary>
    public bool Forgotten { get; init; }

    /// <summary>
    /// The submit answer's status, response and cancel URLs name this host (<c>host[:port]</c>) instead of the emulator's.
    /// </summary>
    public string? AnswerHost { get; init; }

    public ResultFault Result { get; init; }

    /// <summary>The HTTP status of the error result when <see cref="Result"/> is <see cref="ResultFault.Error"/>.</summary>
    public int ResultErrorStatus { get; init; } = 500;

    public FileFault File { get; init; }

    /// <summary>Pads the output to this many bytes with an MP4 <c>free</c> box (benchmarks of large videos), 0 for none.</summary>
    public long FileBytes { get; init; }

    /// <summary>How long a slow download takes (<c>file=slow</c> or <c>file=slow:20s</c>).</summary>
    public TimeSpan SlowFileDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The model ignores the cancellation signal and finishes normally.</summary>
    public bool IgnoreCancel { get; init; }

    /// <summary>The request never appears in the platform API's request history (<c>history=hidden</c>).</summary>
    public bool HistoryHidden { get; init; }

    /// <summary>The request appears in the request history only this long (emulated) after it ended: the history's indexing lag.</summary>
    public TimeSpan HistoryDelay { get; init; }

    private static readonly Regex PromptMarker = new(
        @"\[emulator:(?<spec>[^\]]*)\]", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>Finds a <c>[emulator: …]</c> marker in a prompt; returns the prompt without it.</summary>
    public static string? ExtractFromPrompt(string prompt, out string promptWithoutMarker)
    {
        var match = PromptMarker.Match(prompt);
        if (!match.Success)
        {
            promptWithoutMarker = prompt;
            return null;
        }

        promptWithoutMarker = PromptMarker.Replace(prompt, "").Trim();
        return match.Groups["spec"].Value;
    }

    /// <summary>Parses <paramref name="spec"/> on top of <paramref name="baseline"/>; unknown keys are an error.</summary>
    public static FaultPlan Parse(string? spec, FaultPlan? baseline = null)
    {
        var plan = baseline ?? None;
        if (string.IsNullOrWhiteSpace(spec))
        {
            return plan;
        }

        foreach (var part in spec.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = (eq < 0 ? part : part[..eq]).Trim().ToLowerInvariant();
            var value = eq < 0 ? "" : part[(eq + 1)..].Trim().ToLowerInvariant();
            plan = key switch
            {
                "queue" => plan with { QueueLatency = ParseDuration(key, value) },
                "run" => plan with { RunLatency = ParseDuration(key, value) },
                "webhook" => plan with
                {
                    Webhook = value switch
                    {
                        "ok" or "none" => WebhookFault.None,
                        "drop" => WebhookFault.Drop,
                        "bad-signature" => WebhookFault.BadSignature,
                        "no-payload" => WebhookFault.NoPayload,
                        _ => throw new FormatException($"webhook: expected ok, drop, bad-signature or no-payload, got '{value}'"),
                    },
                },
                "webhook_duplicates" => plan with { WebhookDuplicates = ParseCount(key, value) },
                "webhook_delay" => plan with { WebhookDelay = ParseDuration(key, value) },
                "submit_429" => plan with { Submit429 = ParseCount(key, value) },
                "submit_500" => plan with { Submit500 = ParseCount(key, value) },
                "submit_lost" => plan with { SubmitLost = ParseCount(key, value) },
                "submit_no_id" => plan with { SubmitNoId = ParseCount(key, value) },
                "submit_delay" => plan with { SubmitDelay = ParseDuration(key, value) },
                "result_503" => plan with { Result503 = ParseCount(key, value) },
                "request" => plan with
                {
                    Forgotten = value switch
                    {
                        "forgotten" => true,
                        "kept" => false,
                        _ => throw new FormatException($"request: expected forgotten or kept, got '{value}'"),
                    },
                },
                "answer_host" => plan with
                {
                    AnswerHost = Uri.CheckHostName(value.Split(':')[0]) != UriHostNameType.Unknown
                        ? value
                        : throw new FormatException($"answer_host: expected host[:port], got '{value}'"),
                },
                "result" => ParseResult(plan, value),
                "file_bytes" => plan with { FileBytes = ParseSize(key, value) },
                "file" when value.StartsWith("slow", StringComparison.Ordinal) => plan with
                {
                    File = FileFault.Slow,
                    SlowFileDuration = value.Length > 5 && value[4] == ':' ? ParseDuration(key, value[5..]) : plan.SlowFileDuration,
                },
                "file" => plan with
                {
                    File = value switch
                    {
                        "ok" or "none" => FileFault.None,
                        "gone" => FileFault.Gone,
                        "truncated" => FileFault.Truncated,
                        _ => throw new FormatException($"file: expected ok, gone, truncated or slow[:duration], got '{value}'"),
                    },
                },
                "cancel" => plan with
                {
                    IgnoreCancel = value switch
                    {
                        "ignore" => true,
                        "honour" or "honor" => false,
                        _ => throw new FormatException($"cancel: expected ignore or honour, got '{value}'"),
                    },
                },
                "history" => plan with
                {
                    HistoryHidden = value switch
                    {
                        "hidden" => true,
                        "listed" => false,
                        _ => throw new FormatException($"history: expected hidden or listed, got '{value}'"),
                    },
                },
                "history_delay" => plan with { HistoryDelay = ParseDuration(key, value) },
                _ => throw new FormatException($"unknown fault '{key}'"),
            };
        }

        return plan;
    }

    private static FaultPlan ParseResult(FaultPlan plan, string value)
    {
        if (value is "ok" or "none")
        {
            return plan with { Result = ResultFault.None };
        }

        // "error" or "error:422"
        var pieces = value.Split(':', 2);
        if (pieces[0] != "error")
        {
            throw new FormatException($"result: expected ok, error or error:<status>, got '{value}'");
        }

        var status = pieces.Length == 2 ? ParseCount("result", pieces[1]) : 500;
        if (status is < 400 or > 599)
        {
            throw new FormatException($"result: the error status must be 4xx or 5xx, got {status}");
        }

        return plan with { Result = ResultFault.Error, ResultErrorStatus = status };
    }

    /// <summary>Sizes as <c>500MB</c>, <c>10KB</c>, <c>1GB</c> or bytes.</summary>
    private static long ParseSize(string key, string value)
    {
        var (number, unit) = value.EndsWith("gb", StringComparison.Ordinal) ? (value[..^2], 1L << 30)
            : value.EndsWith("mb", StringComparison.Ordinal) ? (value[..^2], 1L << 20)
            : value.EndsWith("kb", StringComparison.Ordinal) ? (value[..^2], 1L << 10)
            : (value, 1L);
        return long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n * unit < (4L << 30)
            ? n * unit
            : throw new FormatException($"{key}: expected a size below 4GB such as 500MB, got '{value}'");
    }

    private static int ParseCount(string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"{key}: expected a whole number, got '{value}'");

    /// <summary>Durations as <c>250ms</c>, <c>3s</c>, <c>2m</c> or a bare number of seconds.</summary>
    internal static TimeSpan ParseDuration(string key, string value)
    {
        var (number, unit) = value.EndsWith("ms", StringComparison.Ordinal) ? (value[..^2], 0.001)
            : value.EndsWith('s') ? (value[..^1], 1.0)
            : value.EndsWith('m') ? (value[..^1], 60.0)
            : (value, 1.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0
            ? TimeSpan.FromSeconds(amount * unit)
            : throw new FormatException($"{key}: expected a duration such as 500ms or 3s, got '{value}'");
    }
}
