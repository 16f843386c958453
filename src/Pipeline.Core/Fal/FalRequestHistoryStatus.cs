namespace Pipeline.Core.Fal;

/// <summary>The request history's <c>status</c> filter: how an ended request ended.</summary>
public enum FalRequestHistoryStatus
{
    /// <summary><c>success</c>: a 2xx result.</summary>
    Success,

    /// <summary><c>error</c>: fal's or the model's failure (5xx).</summary>
    Error,

    /// <summary><c>user_error</c>: the caller's, e.g. a 422 validation error.</summary>
    UserError,
}
