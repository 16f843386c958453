using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Pipeline.Core.Api;
using Pipeline.Core.Requests;

namespace Pipeline.Http;

/// <summary>
/// The videos API over HTTP: <c>POST /api/videos/{mode}</c>, <c>GET /api/videos/{id}</c>, <c>DELETE /api/videos/{id}</c>.
/// Each handler reads the request, makes one call into <see cref="VideoJobService"/> and maps its answer; errors are
/// <c>application/problem+json</c>, validation errors keyed by the field the caller sent.
/// </summary>
public static class VideosHttpHandlers
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Largest request body read (a request is a prompt and a few URLs).</summary>
    public const int MaxBodyBytes = 256 * 1024;

    public static async Task<IResult> SubmitAsync(HttpRequest request, string mode, DurableTaskClient client, VideoJobService videos, CancellationToken cancellationToken)
    {
        if (!VideoModes.TryParse(mode, out var videoMode))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown mode",
                detail: $"'{mode}' is not a mode; use text-to-video, image-to-video or reference-to-video");
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large",
                detail: $"a request body is at most {MaxBodyBytes} bytes");
        }

        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [$"is not valid JSON: {e.Message}"] });
        }

        var key = request.Headers.TryGetValue(IdempotencyKeyHeader, out var values) ? values.ToString() : null;
        var result = await videos.SubmitAsync(client, videoMode, body, key, cancellationToken);
        if (result.Errors is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is not valid");
        }

        var statusUrl = $"{request.Scheme}://{request.Host}{request.PathBase}/api/videos/{result.Id}";
        return TypedResults.Accepted(statusUrl, new SubmitAnswer(result.Id!, statusUrl, result.Created));
    }

    public static async Task<IResult> GetAsync(string id, DurableTaskClient client, VideoJobService videos, CancellationToken cancellationToken) =>
        await videos.GetAsync(client, id, cancellationToken) is { } view
            ? TypedResults.Ok(view)
            : NotFound(id);

    public static async Task<IResult> CancelAsync(string id, DurableTaskClient client, VideoJobService videos, CancellationToken cancellationToken) =>
        await videos.CancelAsync(client, id, cancellationToken) switch
        {
            CancelResult.Accepted => TypedResults.Accepted($"/api/videos/{id}", new { id, status = "cancelling" }),
            CancelResult.AlreadyFinished => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Job already finished", detail: $"job {id} has ended; there is nothing to cancel"),
            _ => NotFound(id),
        };

    /// <summary><c>POST /api/fal/webhook?job={id}</c>: 200 for applied or ignored deliveries, so fal stops retrying them.</summary>
    public static async Task<IResult> FalWebhookAsync(HttpRequest request, DurableTaskClient client, FalWebhookReceiver receiver, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        var headers = request.Headers;
        var receipt = await receiver.ReceiveAsync(client, request.Query["job"].ToString(), name => headers.TryGetValue(name, out var v) ? v.ToString() : null,
            buffer.ToArray(), cancellationToken);
        return receipt switch
        {
            WebhookReceipt.Applied or WebhookReceipt.Ignored => TypedResults.Ok(new { receipt = receipt.ToString().ToLowerInvariant() }),
            WebhookReceipt.Unauthenticated => TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not a verified fal webhook"),
            WebhookReceipt.Malformed => TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a fal webhook body"),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Try again later"),
        };
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such job", detail: $"there is no job {id}");

    /// <summary>The 202 body: the job id and where to follow it.</summary>
    public sealed record SubmitAnswer(
        [property: System.Text.Json.Serialization.JsonPropertyName("id")] string Id,
        [property: System.Text.Json.Serialization.JsonPropertyName("status_url")] string StatusUrl,
        [property: System.Text.Json.Serialization.JsonPropertyName("created")] bool Created);
}
