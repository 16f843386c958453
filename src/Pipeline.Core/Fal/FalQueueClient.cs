using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Pipeline.Core.Fal;

/// <summary>
/// fal's queue API (submit, status, result, cancel; see fal-protocol.md). Immutable and thread-safe. Transient
/// failures are retried here with exponential backoff, so the <see cref="HttpClient"/> given to it should not retry too.
/// </summary>
public partial class FalQueueClient
{
    private const string SubmitOperation = "submit";
    private const string StatusOperation = "status";
    private const string ResultOperation = "result";
    private const string CancelOperation = "cancel";
    private const string DeletePayloadsOperation = "delete payloads";
    private const string ListRequestsOperation = "request history";

    /// <summary>fal's request history on the platform API (<see cref="FalQueueClientOptions.AdminBaseUrl"/>).</summary>
    public const string RequestHistoryPath = "/v1/models/requests/by-endpoint";

    /// <summary>fal's output retention request header (fal-protocol.md, peers.md §1).</summary>
    public const string LifecyclePreferenceHeader = "X-Fal-Object-Lifecycle-Preference";

    private readonly HttpClient _httpClient;
    private readonly FalQueueClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;

    public FalQueueClient(HttpClient httpClient, IOptions<FalQueueClientOptions> options, ILogger<FalQueueClient> logger)
        : this(httpClient, options, logger, TimeProvider.System, delay: null)
    {
    }

    /// <summary>For tests: a clock for timeouts and <c>Retry-After</c> dates, and a backoff wait that need not sleep.</summary>
    internal FalQueueClient(
        HttpClient httpClient,
        IOptions<FalQueueClientOptions> options,
        ILogger<FalQueueClient> logger,
        TimeProvider timeProvider,
        Func<TimeSpan, CancellationToken, Task>? delay)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _httpClient = httpClient;
        _options = options.Value ?? throw new ArgumentException("The options have no value.", nameof(options));
        _logger = logger;
        _timeProvider = timeProvider;
        _delay = delay ?? ((wait, token) => Task.Delay(wait, timeProvider, token));
    }

    /// <summary>For mocking.</summary>
    protected FalQueueClient()
    {
        _httpClient = null!;
        _options = new FalQueueClientOptions();
        _logger = NullLogger.Instance;
        _timeProvider = TimeProvider.System;
        _delay = (wait, token) => Task.Delay(wait, token);
    }

    /// <summary>
    /// Queues a request: <c>POST {BaseUrl}/{endpointId}?fal_webhook=…</c> with <paramref name="input"/> as the body.
    /// </summary>
    /// <param name="endpointId">The full endpoint id, e.g. <c>bytedance/seedance-2.0/fast/image-to-video</c>.</param>
    /// <param name="input">The model input; not logged (it may hold SAS URLs).</param>
    /// <param name="webhookUrl">Where fal posts the outcome; null to rely on polling.</param>
    /// <exception cref="FalSubmitOutcomeUnknownException">
    /// fal may have queued the request, but its answer was lost or unusable (a timeout, a dropped connection, a gateway's
    /// 502/504, a 2xx without a request id): sending it again could bill twice.
    /// </exception>
    /// <exception cref="FalApiException">fal refused the request, or could not be connected to, on every attempt.</exception>
    /// <exception cref="InvalidOperationException">No fal key is configured.</exception>
    public Task<FalSubmitResult> SubmitAsync(
        string endpointId,
        JsonObject input,
        Uri? webhookUrl,
        CancellationToken cancellationToken = default) =>
        SubmitAsync(endpointId, input, webhookUrl, retry: true, cancellationToken);

    /// <summary>Queues a request, as above, with or without the client's own retries.</summary>
    /// <param name="retry">
    /// False: one try only, so that the caller's claim is open for one request, not for a retry loop that a crash could
    /// cut anywhere; the caller waits and tries again itself (version 3's durable waits).
    /// </param>
    public virtual async Task<FalSubmitResult> SubmitAsync(
        string endpointId,
        JsonObject input,
        Uri? webhookUrl,
        bool retry,
        CancellationToken cancellationToken)
    {
        var segments = EndpointSegments(endpointId, nameof(endpointId));
        ArgumentNullException.ThrowIfNull(input);
        if (webhookUrl is not null && !IsHttpUrl(webhookUrl))
        {
            throw new ArgumentException("The webhook URL must be an absolute http(s) URL.", nameof(webhookUrl));
        }

        var key = RequireKey();
        var baseUrl = _options.BaseUrl;
        // Built only from the configured base and checked segments, so a submit cannot leave fal's host.
        var query = webhookUrl is null ? "" : "?fal_webhook=" + Uri.EscapeDataString(webhookUrl.AbsoluteUri);
        var url = new Uri(Root(baseUrl) + "/" + string.Join('/', segments) + query);
        var body = Encoding.UTF8.GetBytes(input.ToJsonString());

        var lifecycle = $$"""{"expiration_duration_seconds":{{(long)_options.OutputRetention.TotalSeconds}}}""";
        var answer = await SendAsync(
            SubmitOperation,
            endpointId,
            requestId: null,
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent(body) };
                request.Headers.TryAddWithoutValidation(LifecyclePreferenceHeader, lifecycle);
                return request;
            },
            key,
            accept: null,
            isFinalOutcome: null,
            cancellationToken,
            resendWhenUnanswered: false,
            maxAttempts: retry ? null : 1).ConfigureAwait(false);

        // A success status means fal took the request: an answer this client cannot read is an unknown outcome, not a refusal.
        var json = FalJson.TryParseObject(answer.Body) ?? new JsonObject();
        var requestId = FalJson.String(json, "request_id") ?? answer.RequestIdHeader
            ?? throw new FalSubmitOutcomeUnknownException(
                FalErrors.Unreadable(answer, SubmitOperation, null, "it names no request_id", key).Message);

        // fal's own URLs are preferred; the owner/alias forms are what the official JS client builds when they are absent.
        var result = new FalSubmitResult(
            requestId,
            FalJson.String(json, "gateway_request_id"),
            FalJson.HttpUrl(json, "status_url") ?? StatusUrlFor(baseUrl, endpointId, requestId),
            FalJson.HttpUrl(json, "response_url") ?? ResponseUrlFor(baseUrl, endpointId, requestId),
            FalJson.HttpUrl(json, "cancel_url") ?? CancelUrlFor(baseUrl, endpointId, requestId),
            FalJson.Int32(json, "queue_position"));
        FalQueueClientLog.Submitted(_logger, requestId, endpointId, result.QueuePosition, webhookUrl is not null);
        return result;
    }

    /// <summary>Polls a request: <c>GET {statusUrl}?logs=0</c> (202 while queued or running, 200 once completed).</summary>
    /// <exception cref="FalApiException">fal refused the call, or failed or timed out on every attempt.</exception>
    public virtual async Task<FalRequestStatus> GetStatusAsync(Uri statusUrl, CancellationToken cancellationToken = default)
    {
        RequireHttpUrl(statusUrl, nameof(statusUrl));
        var key = RequireKey();
        var urlRequestId = RequestIdFromUrl(statusUrl);
        var url = WithoutLogs(statusUrl);

        var answer = await SendAsync(
            StatusOperation,
            urlRequestId ?? statusUrl.AbsolutePath,
            urlRequestId,
            () => new HttpRequestMessage(HttpMethod.Get, url),
            key,
            accept: null,
            isFinalOutcome: null,
            cancellationToken).ConfigureAwait(false);

        var json = FalJson.TryParseObject(answer.Body)
            ?? throw FalErrors.Unreadable(answer, StatusOperation, urlRequestId, "its body is not a JSON object", key);
        var queuePosition = FalJson.Int32(json, "queue_position");
        FalRequestState state = FalJson.String(json, "status") switch
        {
            "IN_QUEUE" => FalRequestState.InQueue,
            "IN_PROGRESS" => FalRequestState.InProgress,
            "COMPLETED" => FalRequestState.Completed,
            // Without a status field the HTTP code still tells: 200 only once completed.
            null when answer.Status == 200 => FalRequestState.Completed,
            null when answer.Status == 202 => queuePosition is null ? FalRequestState.InProgress : FalRequestState.InQueue,
            var other => throw FalErrors.Unreadable(answer, StatusOperation, urlRequestId,
                $"its status '{other}' is not one this client knows", key),
        };
        var requestId = FalJson.String(json, "request_id") ?? answer.RequestIdHeader ?? urlRequestId
            ?? throw FalErrors.Unreadable(answer, StatusOperation, null, "it has no request_id", key);

        FalQueueClientLog.StatusReceived(_logger, requestId, state, queuePosition);
        return new FalRequestStatus(requestId, state, queuePosition, FalJson.Text(json, "error"), FalJson.String(json, "error_type"));
    }

    /// <summary>Fetches a completed request's output: <c>GET {responseUrl}</c> → <c>{ video, seed }</c>.</summary>
    /// <exception cref="FalApiException">
    /// The request failed (fal's error replayed: 422 with <see cref="FalApiException.Detail"/>, 5xx, 499 cancelled…), is
    /// still running (400), is unknown (404), or fal failed or timed out on every attempt.
    /// </exception>
    public virtual async Task<FalVideoResult> GetResultAsync(Uri responseUrl, CancellationToken cancellationToken = default)
    {
        RequireHttpUrl(responseUrl, nameof(responseUrl));
        var key = RequireKey();
        var urlRequestId = RequestIdFromUrl(responseUrl);

        var answer = await SendAsync(
            ResultOperation,
            urlRequestId ?? responseUrl.AbsolutePath,
            urlRequestId,
            () => new HttpRequestMessage(HttpMethod.Get, responseUrl),
            key,
            accept: null,
            isFinalOutcome: IsReplayedModelError,
            cancellationToken).ConfigureAwait(false);

        var json = FalJson.TryParseObject(answer.Body)
            ?? throw FalErrors.Unreadable(answer, ResultOperation, urlRequestId, "its body is not a JSON object", key);
        var requestId = answer.RequestIdHeader ?? FalJson.String(json, "request_id") ?? urlRequestId ?? "";
        if (json["video"] is not JsonObject video || FalJson.HttpUrl(video, "url") is not { } videoUrl)
        {
            throw FalErrors.Unreadable(answer, ResultOperation, requestId, "it has no video.url", key);
        }

        var file = new FalFile(
            videoUrl, FalJson.String(video, "content_type"), FalJson.String(video, "file_name"), FalJson.Int64(video, "file_size"));
        FalQueueClientLog.ResultReceived(_logger, requestId);
        return new FalVideoResult(requestId, file, FalJson.Int64(json, "seed"));
    }

    /// <summary>Asks fal to cancel a request: <c>PUT {cancelUrl}</c>.</summary>
    /// <exception cref="FalApiException">fal refused the call, or failed or timed out on every attempt.</exception>
    public virtual async Task<FalCancelOutcome> CancelAsync(Uri cancelUrl, CancellationToken cancellationToken = default)
    {
        RequireHttpUrl(cancelUrl, nameof(cancelUrl));
        var key = RequireKey();
        var urlRequestId = RequestIdFromUrl(cancelUrl);
        var target = urlRequestId ?? cancelUrl.AbsolutePath;

        var answer = await SendAsync(
            CancelOperation,
            target,
            urlRequestId,
            () => new HttpRequestMessage(HttpMethod.Put, cancelUrl),
            key,
            // fal answers "already completed" with 400 and "not found" with 404: outcomes, not failures.
            accept: status => status is 400 or 404,
            isFinalOutcome: null,
            cancellationToken).ConfigureAwait(false);

        var status = FalJson.TryParseObject(answer.Body) is { } json ? FalJson.String(json, "status") : null;
        FalCancelOutcome outcome = (answer.Status, status) switch
        {
            (_, "ALREADY_COMPLETED") when answer.Status is 400 || answer.IsSuccess => FalCancelOutcome.AlreadyCompleted,
            (_, "NOT_FOUND") when answer.Status is 404 || answer.IsSuccess => FalCancelOutcome.NotFound,
            (404, _) => FalCancelOutcome.NotFound,
            // 202 CANCELLATION_REQUESTED, or 200 OK from fal's older answer.
            _ when answer.IsSuccess => FalCancelOutcome.CancellationRequested,
            _ => throw FalErrors.FromAnswer(answer, urlRequestId, key),
        };
        FalQueueClientLog.CancelAnswered(_logger, urlRequestId ?? answer.RequestIdHeader ?? target, outcome);
        return outcome;
    }

    /// <summary>
    /// Reads a page of fal's request history: <c>GET {AdminBaseUrl}/v1/models/requests/by-endpoint?…</c>. Sent with the
    /// fal key, not the admin key: fal's docs ask for an "API key (user or enterprise)". A read, so retried like a
    /// status poll. Only requests that have ended are to be expected in it (<see cref="FalRequestHistoryQuery"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The query names no endpoint, more than 50, an invalid one, or a bad limit or window.</exception>
    /// <exception cref="FalApiException">
    /// fal refused the call, answered what this client cannot read, or failed or timed out on every attempt.
    /// </exception>
    /// <exception cref="InvalidOperationException">No fal key is configured.</exception>
    public virtual async Task<FalRequestHistoryPage> ListRequestsAsync(
        FalRequestHistoryQuery query,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var url = new Uri(Root(_options.AdminBaseUrl) + RequestHistoryPath + "?" + query.ToQueryString(nameof(query)));
        var key = RequireKey();
        var target = string.Join(',', query.EndpointIds);

        var answer = await SendAsync(
            ListRequestsOperation,
            target,
            query.RequestId,
            () => new HttpRequestMessage(HttpMethod.Get, url),
            key,
            accept: null,
            isFinalOutcome: null,
            cancellationToken).ConfigureAwait(false);

        var page = FalRequestHistoryReader.Read(answer, ListRequestsOperation, query.RequestId, key);
        FalQueueClientLog.RequestsListed(_logger, target, page.Items.Count, page.HasMore);
        return page;
    }

    /// <summary>
    /// The status URL: owner/alias only, as fal's JS client builds it
    /// (<c>{base}/bytedance/seedance-2.0/requests/{id}/status</c>).
    /// </summary>
    public static Uri StatusUrlFor(Uri baseUrl, string endpointId, string requestId) =>
        RequestUrl(baseUrl, endpointId, requestId, "/status");

    /// <summary>The result URL of a request on the configured fal, for a request whose submit answer was lost.</summary>
    public virtual Uri ResponseUrlFor(string endpointId, string requestId) => ResponseUrlFor(_options.BaseUrl, endpointId, requestId);

    /// <summary>The result URL: <c>{base}/{owner}/{alias}/requests/{id}</c>.</summary>
    public static Uri ResponseUrlFor(Uri baseUrl, string endpointId, string requestId) =>
        RequestUrl(baseUrl, endpointId, requestId, "");

    /// <summary>The cancel URL: <c>{base}/{owner}/{alias}/requests/{id}/cancel</c>.</summary>
    public static Uri CancelUrlFor(Uri baseUrl, string endpointId, string requestId) =>
        RequestUrl(baseUrl, endpointId, requestId, "/cancel");
}
