namespace FalEmulator.History;

/// <summary>
/// The request history's <c>status</c>, from the HTTP status the request ended with: <c>success</c> for 2xx,
/// <c>user_error</c> for 4xx (the caller's input, e.g. a 422 validation error), <c>error</c> for 5xx and the rest.
/// A request its caller cancelled ends 499 <c>client_cancelled</c> and so counts as <c>user_error</c>: the caller's
/// doing, like every 4xx (fal's docs do not say; the rule is kept without exceptions).
/// </summary>
public static class HistoryStatus
{
    public const string Success = "success";
    public const string Error = "error";
    public const string UserError = "user_error";

    public static readonly IReadOnlyList<string> All = [Success, Error, UserError];

    public static string Of(int statusCode) => statusCode switch
    {
        >= 200 and < 300 => Success,
        >= 400 and < 500 => UserError,
        _ => Error,
    };
}
