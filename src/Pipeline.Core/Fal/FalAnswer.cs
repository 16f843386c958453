using System.Net.Http.Headers;

namespace Pipeline.Core.Fal;

/// <summary>One HTTP answer from fal, read in full so the response can be disposed inside its attempt's timeout.</summary>
internal sealed record FalAnswer(
    int Status,
    string? ReasonPhrase,
    string Body,
    string? RequestIdHeader,
    string? ErrorTypeHeader,
    bool? RetryableHeader,
    RetryConditionHeaderValue? RetryAfter)
{
    public bool IsSuccess => Status is >= 200 and <= 299;

    public static async Task<FalAnswer> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var headers = response.Headers;
        return new FalAnswer(
            (int)response.StatusCode,
            response.ReasonPhrase,
            body,
            Header(headers, "x-fal-request-id"),
            Header(headers, "X-Fal-Error-Type"),
            Flag(headers, "X-Fal-Retryable") ?? Flag(headers, "X-Fal-Needs-Retry"),
            headers.RetryAfter);
    }

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) && values.FirstOrDefault() is { Length: > 0 } value ? value.Trim() : null;

    private static bool? Flag(HttpResponseHeaders headers, string name) =>
        Header(headers, name) switch
        {
            null => null,
            "1" => true,
            "0" => false,
            var text => bool.TryParse(text, out var flag) ? flag : null,
        };
}
