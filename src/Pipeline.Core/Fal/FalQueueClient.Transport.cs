using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Pipeline.Core.Fal;

/// <summary>
/// How every call of <see cref="FalQueueClient"/> travels: retries, timeouts, the key and the hosts it may go to, the
/// URLs it builds.
/// </summary>
public partial class FalQueueClient
{
    /// <summary>
    /// Sends one call with retries: each attempt has its own <see cref="FalQueueClientOptions.RequestTimeout"/>;
    /// transient answers, network errors and timeouts are retried with backoff; the caller's token ends it at once.
    /// </summary>
    /// <param name="accept">Non-2xx statuses the caller interprets itself.</param>
    /// <param name="isFinalOutcome">Error answers that state the request's own outcome, so asking again cannot help.</param>
    /// <param name="resendWhenUnanswered">
    /// False for a billable call: when the request may have reached fal but no answer came (a timeout, a dropped
    /// connection, a gateway's 502 or 504), it is not sent again and <see cref="FalSubmitOutcomeUnknownException"/> says
    /// so. Only failures to connect, which send nothing, and fal's own error answers are retried.
    /// </param>
    /// <param name="maxAttempts">Tries at most (null: <see cref="FalQueueClientOptions.MaxRetries"/> + 1).</param>
    private async Task<FalAnswer> SendAsync(
        string operation,
        string target,
        string? requestId,
        Func<HttpRequestMessage> createRequest,
        string key,
        Func<int, bool>? accept,
        Func<FalAnswer, bool>? isFinalOutcome,
        CancellationToken cancellationToken,
        bool resendWhenUnanswered = true,
        int? maxAttempts = null)
    {
        maxAttempts ??= Math.Max(0, _options.MaxRetries) + 1;
        for (var attempt = 1; ; attempt++)
        {
            // A caller that has given up must not start a (billable) attempt, whatever the handler would do.
            cancellationToken.ThrowIfCancellationRequested();
            var canRetry = attempt < maxAttempts;
            FalQueueClientLog.Sending(_logger, operation, target, attempt);
            FalAnswer answer;
            try
            {
                answer = await SendOnceAsync(createRequest, key, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                // Not the caller's token: the per-attempt timeout (or HttpClient.Timeout) fired.
                if (!resendWhenUnanswered)
                {
                    FalQueueClientLog.Failed(_logger, operation, target, attempt, null, null, false);
                    throw new FalSubmitOutcomeUnknownException(
                        $"fal {operation} did not answer within {_options.RequestTimeout}; it may have been queued", e);
                }

                if (!canRetry)
                {
                    FalQueueClientLog.Failed(_logger, operation, target, attempt, null, null, true);
                    throw FalErrors.TimedOut(operation, requestId, attempt, _options.RequestTimeout, e);
                }

                var wait = Backoff(attempt);
                FalQueueClientLog.RetryingAfterTimeout(_logger, operation, target, attempt, _options.RequestTimeout, wait);
                await _delay(wait, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                // A transport error racing the caller's cancellation is reported as the cancellation.
                cancellationToken.ThrowIfCancellationRequested();
                if (!resendWhenUnanswered && !NothingWasSent(e))
                {
                    FalQueueClientLog.Failed(_logger, operation, target, attempt, null, null, false);
                    throw new FalSubmitOutcomeUnknownException(
                        FalErrors.Redact($"fal {operation} lost its answer: {e.Message}; it may have been queued", key), e);
                }

                if (!canRetry)
                {
                    FalQueueClientLog.Failed(_logger, operation, target, attempt, null, null, true);
                    throw FalErrors.Unreachable(operation, requestId, attempt, e, key);
                }

                var wait = Backoff(attempt);
                FalQueueClientLog.RetryingAfterNetworkError(_logger, operation, target, attempt, wait, e);
                await _delay(wait, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (answer.IsSuccess || accept?.Invoke(answer.Status) == true)
            {
                return answer;
            }

            if (!resendWhenUnanswered && answer.Status is 502 or 504)
            {
                // A gateway's error: the service behind it may have taken the request before the gateway gave up.
                FalQueueClientLog.Failed(_logger, operation, target, attempt, answer.Status, null, false);
                throw new FalSubmitOutcomeUnknownException(
                    $"fal {operation} answered {answer.Status} from its gateway; it may have been queued");
            }

            var error = FalErrors.FromAnswer(answer, requestId, key);
            if (!error.IsRetryable || isFinalOutcome?.Invoke(answer) == true)
            {
                FalQueueClientLog.Failed(_logger, operation, target, attempt, error.Status, error.ErrorCode, error.IsRetryable);
                throw error;
            }

            if (!canRetry)
            {
                FalQueueClientLog.Failed(_logger, operation, target, attempt, error.Status, error.ErrorCode, error.IsRetryable);
                throw FalErrors.FromAnswer(answer, requestId, key, attempt);
            }

            var delay = RetryAfter(answer) ?? Backoff(attempt);
            FalQueueClientLog.RetryingAfterStatus(_logger, operation, target, attempt, answer.Status, delay);
            await _delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A failure to connect (or to resolve the host) happens before any byte of the request is sent.</summary>
    private static bool NothingWasSent(Exception e) =>
        e is HttpRequestException
        {
            HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ProxyTunnelError,
        };

    private async Task<FalAnswer> SendOnceAsync(Func<HttpRequestMessage> createRequest, string key, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = createRequest();
        EnsureFalHost(request.RequestUri!);
        // Per request, not on HttpClient.DefaultRequestHeaders: the HttpClient comes from a shared factory.
        request.Headers.Authorization = new AuthenticationHeaderValue("Key", key);
        using var response = await _httpClient
            .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token)
            .ConfigureAwait(false);
        return await FalAnswer.ReadAsync(response, linked.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// The key goes only to fal: a URL from an answer that names any other host (a forged or rewritten status URL) is
    /// refused before anything is sent (LiteLLM's key leak through a forged <c>response_url</c>, peers.md §1).
    /// </summary>
    private void EnsureFalHost(Uri url)
    {
        var host = url.Host;
        if (host.Equals(_options.BaseUrl.Host, StringComparison.OrdinalIgnoreCase)
            || host.Equals(_options.AdminBaseUrl.Host, StringComparison.OrdinalIgnoreCase)
            || _options.AllowedHosts.Any(h => h.Equals(host, StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        FalQueueClientLog.ForeignHostRefused(_logger, host);
        throw new FalApiException($"refused to send the fal key to {host}: not a configured fal host (Fal:AllowedHosts)",
            status: null, errorCode: "foreign_host", requestId: RequestIdFromUrl(url), isRetryable: false);
    }

    /// <summary>
    /// Deletes a finished request's payloads and output files at fal (<c>DELETE {AdminBaseUrl}/v1/models/requests/{id}/payloads</c>,
    /// admin key, the request id as idempotency key). Returns false when no admin key is configured.
    /// </summary>
    public virtual async Task<bool> DeletePayloadsAsync(string requestId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        if (string.IsNullOrWhiteSpace(_options.AdminKey))
        {
            return false;
        }

        var url = new Uri($"{Root(_options.AdminBaseUrl)}/v1/models/requests/{Uri.EscapeDataString(requestId)}/payloads");
        await SendAsync(
            DeletePayloadsOperation,
            requestId,
            requestId,
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Delete, url);
                request.Headers.Add("Idempotency-Key", "delete-payloads-" + requestId);
                return request;
            },
            _options.AdminKey.Trim(),
            accept: status => status == 404, // already gone
            isFinalOutcome: null,
            cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>FirstRetryDelay × 2^(n−1), capped at MaxRetryDelay, ±25% jitter so many clients do not retry in step.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var max = _options.MaxRetryDelay.TotalMilliseconds;
        var exponential = Math.Min(_options.FirstRetryDelay.TotalMilliseconds * Math.Pow(2, attempt - 1), max);
        var jittered = exponential * (0.75 + (Random.Shared.NextDouble() * 0.5));
        return TimeSpan.FromMilliseconds(Math.Clamp(jittered, 0, Math.Max(0, max)));
    }

    /// <summary>The server's <c>Retry-After</c> (seconds or a date), capped at MaxRetryDelay; null when absent.</summary>
    private TimeSpan? RetryAfter(FalAnswer answer)
    {
        TimeSpan? wait = answer.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - _timeProvider.GetUtcNow(),
            _ => null,
        };
        if (wait is not { } value)
        {
            return null;
        }

        return value < TimeSpan.Zero ? TimeSpan.Zero : value > _options.MaxRetryDelay ? _options.MaxRetryDelay : value;
    }

    /// <summary>
    /// A result call that answers with fal's detail list (or error type) replays the model's failure: the request is
    /// over, so fetching it again returns the same error. The exception still says whether resubmitting may help.
    /// </summary>
    private static bool IsReplayedModelError(FalAnswer answer) =>
        answer.Status != 429 && (answer.ErrorTypeHeader is not null || FalErrors.HasDetailList(answer.Body));

    /// <summary>Throws when no fal key is configured: checked before a submit is claimed, since nothing can be sent then.</summary>
    /// <exception cref="InvalidOperationException">No fal key is configured.</exception>
    public virtual void EnsureConfigured() => RequireKey();

    private string RequireKey() => FalKey.StateOf(_options.Key) switch
    {
        FalKeyState.Missing => throw new InvalidOperationException("FAL_KEY is not configured"),
        FalKeyState.UnresolvedKeyVaultReference => throw new InvalidOperationException(
            "FAL_KEY is a Key Vault reference the app could not resolve: create the secret, then refresh the app's Key Vault references"),
        _ => _options.Key!.Trim(),
    };

    private static ByteArrayContent JsonContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static Uri RequestUrl(Uri baseUrl, string endpointId, string requestId, string suffix)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        RequireHttpUrl(baseUrl, nameof(baseUrl));
        var segments = EndpointSegments(endpointId, nameof(endpointId));
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        return new Uri(string.Create(
            CultureInfo.InvariantCulture,
            $"{Root(baseUrl)}/{segments[0]}/{segments[1]}/requests/{Uri.EscapeDataString(requestId)}{suffix}"));
    }

    /// <summary>The base URL without query or trailing slash (a base with a path, e.g. behind a proxy, keeps it).</summary>
    private static string Root(Uri baseUrl) => baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');

    /// <summary>
    /// Splits an endpoint id into its segments (owner, alias, path…), refusing anything that could change the URL's
    /// meaning (schemes, queries, <c>..</c>, escapes).
    /// </summary>
    internal static string[] EndpointSegments(string endpointId, string paramName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpointId, paramName);
        var segments = endpointId.Trim('/').Split('/');
        if (segments.Length < 2 || segments.Any(s => s.Length == 0 || s is "." or ".." || !s.All(IsEndpointChar)))
        {
            throw new ArgumentException(
                "The endpoint id must be owner/alias[/path], e.g. bytedance/seedance-2.0/fast/text-to-video.", paramName);
        }

        return segments;
    }

    private static bool IsEndpointChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';

    private static bool IsHttpUrl(Uri url) => url.IsAbsoluteUri && url.Scheme is "http" or "https";

    private static void RequireHttpUrl(Uri url, string paramName)
    {
        ArgumentNullException.ThrowIfNull(url, paramName);
        if (!IsHttpUrl(url))
        {
            throw new ArgumentException("The URL must be an absolute http(s) URL.", paramName);
        }
    }

    /// <summary>The id in <c>…/requests/{id}[/status|/cancel]</c>, for logs and errors.</summary>
    private static string? RequestIdFromUrl(Uri url)
    {
        var segments = url.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var at = Array.LastIndexOf(segments, "requests");
        return at >= 0 && at + 1 < segments.Length ? Uri.UnescapeDataString(segments[at + 1]) : null;
    }

    /// <summary>Adds <c>logs=0</c> (as fal's JS client does) unless the URL already says.</summary>
    private static Uri WithoutLogs(Uri statusUrl)
    {
        var query = statusUrl.Query.TrimStart('?');
        if (query.Split('&').Any(p =>
            p.StartsWith("logs=", StringComparison.OrdinalIgnoreCase) || p.Equals("logs", StringComparison.OrdinalIgnoreCase)))
        {
            return statusUrl;
        }

        var builder = new UriBuilder(statusUrl) { Query = query.Length == 0 ? "logs=0" : query + "&logs=0" };
        return builder.Uri;
    }
}
