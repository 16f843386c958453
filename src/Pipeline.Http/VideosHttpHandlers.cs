using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Api;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;
using Pipeline.Core.Webhooks;

namespace Pipeline.Http;

/// <summary>
/// The videos API over HTTP: <c>POST /api/videos/{mode}</c> (JSON, or a form with files), <c>GET /api/videos</c>,
/// <c>GET /api/videos/{id}</c>, <c>DELETE /api/videos/{id}</c>.
/// Each handler reads the request, makes one call into <see cref="VideoJobService"/> and maps its answer; errors are
/// <c>application/problem+json</c>, validation errors keyed by the field the caller sent.
/// </summary>
public static class VideosHttpHandlers
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Largest JSON request body read (a request is a prompt and a few URLs).</summary>
    public const int MaxBodyBytes = 256 * 1024;

    /// <summary>Largest page of <c>GET /api/videos</c>.</summary>
    public const int DefaultPageSize = 20;

    public static async Task<IResult> SubmitAsync(
        HttpRequest request,
        string mode,
        DurableTaskClient client,
        VideoJobService videos,
        UploadStore uploads,
        CancellationToken cancellationToken)
    {
        if (!VideoModes.TryParse(mode, out var videoMode))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown mode",
                detail: $"'{mode}' is not a mode; use text-to-video, image-to-video or reference-to-video");
        }

        var key = request.Headers.TryGetValue(IdempotencyKeyHeader, out var values) ? values.ToString() : null;
        if (MultipartVideoForm.IsMultipart(request))
        {
            return await SubmitFormAsync(request, videoMode, key, client, videos, uploads, cancellationToken);
        }

        // Declared or not (a chunked body), nothing past the limit is read.
        var read = request.ContentLength > MaxBodyBytes
            ? new RequestJson.Read.TooLarge()
            : await RequestJson.ReadAsync(request.Body, MaxBodyBytes, cancellationToken);
        return read switch
        {
            RequestJson.Read.Parsed parsed =>
                Answer(videos, await videos.SubmitAsync(client, videoMode, parsed.Node, key, cancellationToken)),
            RequestJson.Read.Invalid invalid => TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["body"] = [$"is not valid JSON: {invalid.Problem}"] }),
            _ => TypedResults.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                title: "Request too large",
                detail: $"a request body is at most {MaxBodyBytes} bytes"),
        };
    }

    /// <summary>A request with its files: they are stored as they stream in, under the job's id, then validated with the fields.</summary>
    private static async Task<IResult> SubmitFormAsync(
        HttpRequest request,
        VideoMode mode,
        string? key,
        DurableTaskClient client,
        VideoJobService videos,
        UploadStore uploads,
        CancellationToken cancellationToken)
    {
        if (VideoJobService.IdempotencyKeyProblem(key) is { } keyProblem)
        {
            return TypedResults.ValidationProblem(keyProblem, title: "The request is not valid");
        }

        var id = VideoJobService.JobIdFor(mode, key);
        var repeat = key is not null && await videos.ExistsAsync(client, id, cancellationToken);
        MultipartVideoForm form;
        try
        {
            // A repeat's files are read for its fingerprint only, not stored again.
            form = await MultipartVideoForm.ReadAsync(request, mode, id, repeat ? null : uploads, cancellationToken);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            if (!repeat)
            {
                await uploads.DiscardAsync(id, CancellationToken.None);
            }

            return e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }
                ? TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large",
                    detail: $"a request with files is at most {MultipartVideoForm.MaxRequestBytes / (1024 * 1024)} MB")
                : TypedResults.ValidationProblem(
                    new Dictionary<string, string[]> { ["body"] = [$"is not valid multipart/form-data: {e.Message}"] });
        }

        if (repeat)
        {
            return Answer(videos, await videos.RepeatAsync(client, id, form.Fingerprint, cancellationToken));
        }

        var result = await videos.SubmitUploadedAsync(client, mode, id, form.Body, form.Errors, form.Fingerprint, cancellationToken);
        if (result.Errors is { Count: > 0 } errors)
        {
            var asSent = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var (field, problems) in errors.Where(e => !form.Refused.Contains(e.Key)))
            {
                var name = form.FieldAsSent(field);
                asSent[name] = [.. asSent.GetValueOrDefault(name) ?? [], .. problems];
            }

            return TypedResults.ValidationProblem(asSent, title: "The request is not valid");
        }

        return Answer(videos, result);
    }

    private static IResult Answer(VideoJobService videos, SubmitResult result)
    {
        if (result.Refusal is { } refusal)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Budget exceeded", detail: refusal.Message,
                extensions: new Dictionary<string, object?> { ["code"] = "budget_exceeded" });
        }

        if (result.Errors is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is not valid");
        }

        if (result.Conflict)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Idempotency-Key reused",
                detail: $"this Idempotency-Key was used for a different request (job {result.Id}); send a new key for a new request",
                extensions: new Dictionary<string, object?> { ["code"] = "idempotency_key_reused" });
        }

        var statusUrl = videos.StatusUrl(result.Id!);
        return TypedResults.Accepted(
            statusUrl, new SubmitAnswer(result.Id!, statusUrl, result.Created, result.BatchId, result.Jobs, result.NotStarted));
    }

    /// <summary>
    /// <c>GET /api/usage?date=YYYY-MM-DD</c> (today, UTC, by default): jobs, video seconds and estimated spend, in
    /// total and per end user.
    /// </summary>
    public static async Task<IResult> UsageAsync(
        HttpRequest request, VideoJobService videos, TimeProvider time, CancellationToken cancellationToken)
    {
        var day = request.Query["date"].ToString() is { Length: > 0 } given ? given : Core.Costs.UsageLedger.DayOf(time.GetUtcNow());
        if (!DateOnly.TryParseExact(
            day, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["date"] = ["must be a day as YYYY-MM-DD (UTC)"] });
        }

        var usage = await videos.UsageAsync(day, cancellationToken);
        return TypedResults.Ok(new UsageAnswer(usage.Date, usage.Total, usage.ByEndUser));
    }

    /// <summary>
    /// <c>GET /api/health</c>: 200 when storage, the task hub and fal's key are there; 503 with the same report
    /// otherwise.
    /// </summary>
    public static async Task<IResult> HealthAsync(
        DurableTaskClient client, Core.Health.HealthCheck health, CancellationToken cancellationToken)
    {
        var report = await health.CheckAsync(client, cancellationToken);
        return TypedResults.Json(report, statusCode: report.IsHealthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>The usage answer: the day's totals and each end user's (jobs without one count as "anonymous").</summary>
    public sealed record UsageAnswer(
        [property: JsonPropertyName("date")] string Date,
        [property: JsonPropertyName("total")] Core.Costs.UsageTotals Total,
        [property: JsonPropertyName("by_end_user")] IReadOnlyDictionary<string, Core.Costs.UsageTotals> ByEndUser);

    /// <summary><c>GET /api/videos?limit=20&amp;cursor=…</c>: recent jobs, newest first.</summary>
    public static async Task<IResult> ListAsync(
        HttpRequest request, DurableTaskClient client, VideoJobService videos, CancellationToken cancellationToken)
    {
        var limit = DefaultPageSize;
        if (request.Query["limit"].ToString() is { Length: > 0 } given
            && (!int.TryParse(given, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit)
                || limit is < 1 or > JobIndex.MaxPageSize))
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["limit"] = [$"must be a whole number from 1 to {JobIndex.MaxPageSize}"] });
        }

        var cursor = request.Query["cursor"].ToString() is { Length: > 0 } c ? c : null;
        var batch = request.Query["batch"].ToString() is { Length: > 0 } b ? b : null;
        if (batch is not null && !await videos.BatchExistsAsync(batch, cancellationToken))
        {
            return NoSuchBatch(batch);
        }

        return TypedResults.Ok(await videos.ListAsync(client, limit, cursor, cancellationToken, batch));
    }

    /// <summary>
    /// <c>GET /api/batches/{id}</c>: a folder's, a manifest's or a request's variants' jobs counted, and where to list
    /// them.
    /// </summary>
    public static async Task<IResult> BatchAsync(string id, VideoJobService videos, CancellationToken cancellationToken) =>
        await videos.BatchAsync(id, cancellationToken) is { } progress ? TypedResults.Ok(progress) : NoSuchBatch(id);

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult NoSuchBatch(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such batch", detail: $"there is no batch {id}");

    public static async Task<IResult> GetAsync(
        string id, DurableTaskClient client, VideoJobService videos, CancellationToken cancellationToken) =>
        await videos.GetAsync(client, id, cancellationToken) is { } view
            ? TypedResults.Ok(view)
            : NotFound(id);

    public static async Task<IResult> CancelAsync(
        string id, DurableTaskClient client, VideoJobService videos, CancellationToken cancellationToken) =>
        await videos.CancelAsync(client, id, cancellationToken) switch
        {
            CancelResult.Accepted => TypedResults.Accepted($"/api/videos/{id}", new Contract.CancelAnswer(id, "cancelling")),
            CancelResult.AlreadyFinished => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Job already finished",
                detail: $"job {id} has ended; there is nothing to cancel"),
            _ => NotFound(id),
        };

    /// <summary>
    /// <c>POST /api/fal/webhook?job={id}&amp;token={token}</c>: 200 for applied or ignored deliveries, so fal stops retrying
    /// them; 401 for a delivery that does not prove it is this app's, 413 past fal's size. The body is the receiver's to read.
    /// </summary>
    public static async Task<IResult> FalWebhookAsync(
        HttpRequest request, DurableTaskClient client, FalWebhookReceiver receiver, CancellationToken cancellationToken)
    {
        var headers = request.Headers;
        var receipt = await receiver.ReceiveAsync(client, request.Query["job"].ToString(), request.Query["token"].ToString(),
            name => headers.TryGetValue(name, out var v) ? v.ToString() : null, request.ContentLength, request.Body, cancellationToken);
        return receipt switch
        {
            WebhookReceipt.Applied or WebhookReceipt.Ignored => TypedResults.Ok(new { receipt = receipt.ToString().ToLowerInvariant() }),
            WebhookReceipt.Unauthenticated =>
                TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not a verified fal webhook for this job"),
            WebhookReceipt.Malformed => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a fal webhook body"),
            WebhookReceipt.TooLarge =>
                TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Larger than a fal webhook"),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Try again later"),
        };
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such job", detail: $"there is no job {id}");

    /// <summary>The 202 body: the job id and where to follow it; with variants, every job and the batch they make.</summary>
    public sealed record SubmitAnswer(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("status_url")] string StatusUrl,
        [property: JsonPropertyName("created")] bool Created,
        [property: JsonPropertyName("batch_id")]
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        string? BatchId = null,
        [property: JsonPropertyName("jobs")]
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        IReadOnlyList<SubmittedVariant>? Jobs = null,
        [property: JsonPropertyName("not_started")]
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        VariantsNotStarted? NotStarted = null);
}
