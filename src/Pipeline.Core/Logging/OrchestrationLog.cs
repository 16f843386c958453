using Pipeline.Core.Requests;

namespace Pipeline.Core.Logging;

/// <summary>Log messages of the orchestrator (written through its replay-safe logger).</summary>
internal static partial class OrchestrationLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning,
        Message = "Job {JobId} ignored a webhook for fal request {Delivered}; it waits for {Expected}")]
    public static partial void ForeignWebhookIgnored(this ILogger logger, string jobId, string delivered, string expected);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Job {JobId}: {Activity} failed: {Error}")]
    public static partial void ActivityFailed(this ILogger logger, string jobId, string activity, string error);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning,
        Message = "Job {JobId}: question {Number} to {Step} got an answer to another question ({AnsweredStep}); asking again")]
    public static partial void LeftoverAnswerIgnored(this ILogger logger, string jobId, string step, int number, string answeredStep);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning,
        Message = "Job {JobId}: {Step} failed (try {Tries}: {Error}); trying again in {Delay}")]
    public static partial void StepRetrying(this ILogger logger, string jobId, string step, int tries, string error, TimeSpan delay);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning,
        Message = "Job {JobId}: fal did not take the submit ({Error}); waiting for fal, next try at {NextAt:O}")]
    public static partial void WaitingForFal(this ILogger logger, string jobId, string error, DateTime nextAt);

    /// <summary>One line per job, at its end: what the KQL of the README counts (<c>JobOutcome</c>, <c>ErrorCode</c>).</summary>
    [LoggerMessage(EventId = 102, Level = LogLevel.Information,
        Message = "Job {JobId} ({Mode}) ended {JobOutcome} (error: {ErrorCode}; fal request: {FalRequestId})")]
    public static partial void JobEnded(
        this ILogger logger, string jobId, VideoMode mode, Jobs.JobOutcome jobOutcome, string errorCode, string falRequestId);
}

/// <summary>Log messages about the app's security settings.</summary>
internal static partial class SecurityLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Warning,
        Message = "fal webhook signatures are NOT verified (FalWebhook__VerifySignatures=false): anyone who can " +
            "reach the webhook URL can complete jobs. Use this only locally.")]
    public static partial void LogUnverifiedWebhooks(this ILogger logger);
}
