using System.Text.Json.Nodes;
using Pipeline.Core.Api;
using Pipeline.Core.Batches;
using Pipeline.Core.Callbacks;
using Pipeline.Core.Contract;
using Pipeline.Core.Events;
using Pipeline.Core.Health;
using Pipeline.Core.Requests;
using Pipeline.Core.Webhooks;

namespace Pipeline.Http.Contract;

/// <summary>
/// The HTTP API as an OpenAPI 3.1 document (<c>GET /api/openapi.json</c>, served by both hosts). Response schemas are
/// generated from the records the handlers return; request schemas from the validator's own lists and limits (the
/// seed's enums, defaults and maxima); the callbacks as OpenAPI <c>webhooks</c>. The contract tests compare its routes
/// with the hosts' and check every answer the tests get against it.
/// </summary>
public static class OpenApiContract
{
    public const string Route = "/api/openapi.json";

    private const string ProblemJson = "application/problem+json";

    private static readonly Lazy<string> Text =
        new(() => Document().ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

    /// <summary>The document as served.</summary>
    public static string Json => Text.Value;

    public static JsonObject Document() => new()
    {
        ["openapi"] = "3.1.0",
        ["info"] = new JsonObject
        {
            ["title"] = "Video pipeline",
            ["version"] = "1",
            ["description"] = "Images and prompts into videos with Bytedance Seedance 2.0 Fast on fal.ai. "
                + "In Azure every call but the page, this document and fal's webhook takes a function key "
                + "(x-functions-key header or code query).",
        },
        ["security"] = new JsonArray(
            new JsonObject { ["functionKey"] = new JsonArray() },
            new JsonObject { ["functionKeyQuery"] = new JsonArray() },
            new JsonObject()),
        ["paths"] = Paths(),
        ["webhooks"] = new JsonObject { ["jobEvent"] = new JsonObject { ["post"] = CallbackOperation() } },
        ["components"] = new JsonObject
        {
            ["securitySchemes"] = new JsonObject
            {
                ["functionKey"] = new JsonObject { ["type"] = "apiKey", ["in"] = "header", ["name"] = "x-functions-key" },
                ["functionKeyQuery"] = new JsonObject { ["type"] = "apiKey", ["in"] = "query", ["name"] = "code" },
            },
            ["schemas"] = Schemas(),
        },
    };

    private static JsonObject Paths()
    {
        var paths = new JsonObject();
        foreach (var mode in System.Enum.GetValues<VideoMode>())
        {
            paths[$"/api/videos/{mode.Slug()}"] = new JsonObject { ["post"] = SubmitOperation(mode) };
        }

        paths["/api/videos"] = new JsonObject
        {
            ["get"] = Operation("ListVideos", "Recent jobs, newest first, or one batch's jobs",
                [
                    Query("limit", new JsonObject
                    {
                        ["type"] = "integer",
                        ["minimum"] = 1,
                        ["maximum"] = Core.Storage.JobIndex.MaxPageSize,
                        ["default"] = 20,
                    }),
                    Query("cursor", new JsonObject { ["type"] = "string" }),
                    Query("batch", new JsonObject { ["type"] = "string" }),
                ],
                (200, Ref(nameof(VideoJobPage))), (400, Problem()), (404, Problem())),
        };
        paths["/api/videos/{id}"] = new JsonObject
        {
            ["get"] = Operation("GetVideo", "Read a job", [PathParameter("id")], (200, Ref(nameof(VideoJobView))), (404, Problem())),
            ["delete"] = Operation("CancelVideo", "Cancel a job (at fal too)", [PathParameter("id")],
                (202, Ref(nameof(CancelAnswer))), (404, Problem()), (409, Problem())),
        };
        paths["/api/batches/{id}"] = new JsonObject
        {
            ["get"] = Operation("GetBatch", "A batch counted: a folder's drops, a manifest's rows or a request's variants",
                [PathParameter("id")],
                (200, Ref(nameof(BatchProgress))), (404, Problem())),
        };
        paths["/api/usage"] = new JsonObject
        {
            ["get"] = Operation("GetUsage", "A day's jobs, video seconds and estimated spend",
                [Query("date", new JsonObject { ["type"] = "string", ["format"] = "date" })],
                (200, Ref(nameof(VideosHttpHandlers.UsageAnswer))), (400, Problem())),
        };
        paths["/api/health"] = new JsonObject
        {
            ["get"] = Operation("Health", "Whether the app can take and run jobs, and how it is configured", [],
                (200, Ref(nameof(HealthReport))), (503, Ref(nameof(HealthReport)))),
        };
        paths[Route] = new JsonObject
        {
            ["get"] = Public(Operation("GetOpenApi", "This document", [], (200, new JsonObject { ["type"] = "object" }))),
        };
        paths["/" + WebhookUrls.Path] = new JsonObject
        {
            ["post"] = Public(Operation("FalWebhook",
                "fal's webhook (fal calls it; signed by fal, bound to its job by the token in its URL)",
                [Query("job", new JsonObject { ["type"] = "string" }), Query("token", new JsonObject { ["type"] = "string" })],
                (200, new JsonObject { ["type"] = "object" }), (400, Problem()), (401, Problem()), (413, Problem()))),
        };
        return paths;
    }

    private static JsonObject SubmitOperation(VideoMode mode)
    {
        var operation = Operation($"SubmitVideo{Pascal(mode.Slug())}", $"Start a {mode.Slug()} job (or its variants)",
            [
                new JsonObject
                {
                    ["name"] = "Idempotency-Key",
                    ["in"] = "header",
                    ["schema"] = new JsonObject
                    {
                        ["type"] = "string",
                        ["minLength"] = 1,
                        ["maxLength"] = VideoJobService.MaxIdempotencyKeyLength,
                    },
                },
            ],
            (202, Ref(nameof(VideosHttpHandlers.SubmitAnswer))), (400, Problem()), (409, Problem()), (413, Problem()), (429, Problem()));
        operation["requestBody"] = new JsonObject
        {
            ["required"] = true,
            ["content"] = new JsonObject
            {
                ["application/json"] = new JsonObject { ["schema"] = Ref(RequestSchemaName(mode)) },
                ["multipart/form-data"] = new JsonObject { ["schema"] = FormSchema(mode) },
            },
        };
        return operation;
    }

    private static JsonObject CallbackOperation() => new()
    {
        ["summary"] = "A job's event, delivered to the webhook_url its request named (Standard Webhooks signatures)",
        ["parameters"] = new JsonArray([.. new[] { CallbackSigner.IdHeader, CallbackSigner.TimestampHeader, CallbackSigner.SignatureHeader }
            .Select(h => (JsonNode)new JsonObject
            {
                ["name"] = h,
                ["in"] = "header",
                ["required"] = true,
                ["schema"] = new JsonObject { ["type"] = "string" },
            })]),
        ["requestBody"] = new JsonObject
        {
            ["required"] = true,
            ["content"] = new JsonObject { ["application/cloudevents+json"] = new JsonObject { ["schema"] = Ref("JobCloudEvent") } },
        },
        ["responses"] = new JsonObject
        {
            ["2XX"] = new JsonObject { ["description"] = "taken" },
            ["default"] = new JsonObject { ["description"] = "not taken: offered again later, for 24 hours" },
        },
    };

    private static JsonObject Schemas()
    {
        var schemas = new JsonObject();
        foreach (var mode in System.Enum.GetValues<VideoMode>())
        {
            schemas[RequestSchemaName(mode)] = RequestSchema(mode);
        }

        foreach (var type in new[]
        {
            typeof(VideosHttpHandlers.SubmitAnswer), typeof(VideoJobView), typeof(VideoJobPage), typeof(BatchProgress),
            typeof(VideosHttpHandlers.UsageAnswer), typeof(HealthReport), typeof(CancelAnswer), typeof(JobEventData),
        })
        {
            schemas[type.Name] = ContractSchemas.Of(type);
        }

        schemas["ProblemDetails"] = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["type"] = new JsonObject { ["type"] = "string" }, ["title"] = new JsonObject { ["type"] = "string" },
                ["status"] = new JsonObject { ["type"] = "integer" }, ["detail"] = new JsonObject { ["type"] = "string" },
                ["code"] = new JsonObject { ["type"] = "string", ["description"] = "budget_exceeded, idempotency_key_reused, …" },
                ["errors"] = new JsonObject
                {
                    ["type"] = "object",
                    ["additionalProperties"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } },
                },
            },
        };
        schemas["JobCloudEvent"] = new JsonObject
        {
            ["type"] = "object",
            ["required"] = new JsonArray("specversion", "id", "source", "type", "data"),
            ["properties"] = new JsonObject
            {
                ["specversion"] = new JsonObject { ["const"] = "1.0" },
                ["id"] = new JsonObject { ["type"] = "string" },
                ["source"] = new JsonObject { ["type"] = "string" },
                ["type"] = new JsonObject { ["enum"] = new JsonArray([.. EventSchemas.Types.Select(t => (JsonNode)t)]) },
                ["subject"] = new JsonObject { ["type"] = "string" },
                ["time"] = new JsonObject { ["type"] = "string", ["format"] = "date-time" },
                ["datacontenttype"] = new JsonObject { ["type"] = "string" },
                ["data"] = Ref(nameof(JobEventData)),
            },
        };
        return schemas;
    }

    /// <summary>The JSON body of a mode: the seed's fields, enums, defaults and limits, and the pipeline's own fields.</summary>
    private static JsonObject RequestSchema(VideoMode mode)
    {
        var properties = new JsonObject
        {
            ["prompt"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
            ["resolution"] = Enum(VideoRequestValidator.Resolutions, VideoRequest.DefaultResolution),
            ["duration"] = Enum(VideoRequestValidator.Durations, VideoRequest.DefaultDuration),
            ["aspect_ratio"] = Enum(VideoRequestValidator.AspectRatios, VideoRequest.DefaultAspectRatio),
            ["generate_audio"] = new JsonObject { ["type"] = "boolean", ["default"] = true },
            ["seed"] = new JsonObject { ["type"] = "integer" },
            ["end_user_id"] = new JsonObject
            {
                ["type"] = "string",
                ["minLength"] = 1,
                ["maxLength"] = VideoRequestValidator.MaxEndUserIdLength,
            },
            [Correlation.Field] = new JsonObject
            {
                ["type"] = "object",
                ["additionalProperties"] = new JsonObject { ["type"] = "string", ["maxLength"] = Correlation.MaxValueLength },
                ["description"] = $"the pipeline's, not sent to fal; at most {Correlation.MaxTotalLength} characters in all",
            },
            [Variants.Field] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = Variants.Max, ["default"] = 1 },
            [JobCallback.UrlField] = new JsonObject
            {
                ["type"] = "string",
                ["format"] = "uri",
                ["maxLength"] = JobCallback.MaxUrlLength,
                ["description"] = "https; public addresses only",
            },
            [JobCallback.EventsField] = new JsonObject { ["type"] = "array", ["items"] = Enum(JobCallback.EventNames, null) },
        };
        var required = new JsonArray("prompt");
        switch (mode)
        {
            case VideoMode.ImageToVideo:
                properties["image_url"] = Url();
                properties["end_image_url"] = Url();
                required.Add("image_url");
                break;
            case VideoMode.ReferenceToVideo:
                properties["image_urls"] = new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = Url(),
                    ["maxItems"] = VideoRequestValidator.MaxImageUrls,
                };
                properties["video_urls"] = new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = Url(),
                    ["maxItems"] = VideoRequestValidator.MaxVideoUrls,
                };
                properties["audio_urls"] = new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = Url(),
                    ["maxItems"] = VideoRequestValidator.MaxAudioUrls,
                };
                break;
        }

        return new JsonObject
        {
            ["type"] = "object",
            ["required"] = required,
            ["properties"] = properties,
            ["additionalProperties"] = false,
        };
    }

    /// <summary>The form of a mode: the JSON fields as form fields, and files as parts.</summary>
    private static JsonObject FormSchema(VideoMode mode)
    {
        var schema = RequestSchema(mode);
        var properties = schema["properties"]!.AsObject();
        var binary = new JsonObject { ["type"] = "string", ["contentMediaType"] = "application/octet-stream" };
        switch (mode)
        {
            case VideoMode.ImageToVideo:
                properties["image"] = binary.DeepClone();
                properties["end_image"] = binary.DeepClone();
                schema["required"] = new JsonArray("prompt");
                break;
            case VideoMode.ReferenceToVideo:
                foreach (var part in new[] { "images[]", "videos[]", "audios[]" })
                {
                    properties[part] = new JsonObject { ["type"] = "array", ["items"] = binary.DeepClone() };
                }

                break;
        }

        return schema;
    }

    private static JsonObject Operation(
        string id, string summary, JsonNode[] parameters, params (int Status, JsonObject Schema)[] responses)
    {
        var answers = new JsonObject();
        foreach (var (status, schema) in responses)
        {
            var isProblem = status >= 400
                && schema["$ref"]?.GetValue<string>().EndsWith("ProblemDetails", StringComparison.Ordinal) == true;
            var media = isProblem ? ProblemJson : "application/json";
            answers[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["description"] = ((System.Net.HttpStatusCode)status).ToString(),
                ["content"] = new JsonObject { [media] = new JsonObject { ["schema"] = schema } },
            };
        }

        return new JsonObject
        {
            ["operationId"] = id,
            ["summary"] = summary,
            ["parameters"] = new JsonArray(parameters),
            ["responses"] = answers,
        };
    }

    private static JsonObject Public(JsonObject operation)
    {
        operation["security"] = new JsonArray(new JsonObject());
        return operation;
    }

    private static JsonObject Ref(string name) => new() { ["$ref"] = $"#/components/schemas/{name}" };

    private static JsonObject Problem() => Ref("ProblemDetails");

    private static JsonObject Query(string name, JsonObject schema) => new() { ["name"] = name, ["in"] = "query", ["schema"] = schema };

    private static JsonObject PathParameter(string name) =>
        new() { ["name"] = name, ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string" } };

    private static JsonObject Url() => new() { ["type"] = "string", ["format"] = "uri" };

    private static JsonObject Enum(IEnumerable<string> values, string? fallback)
    {
        var schema = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. values.Select(v => (JsonNode)v)]) };
        if (fallback is not null)
        {
            schema["default"] = fallback;
        }

        return schema;
    }

    private static string RequestSchemaName(VideoMode mode) => Pascal(mode.Slug()) + "Request";

    private static string Pascal(string slug) => string.Concat(slug.Split('-').Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
}

/// <summary>The 202 of a cancel.</summary>
public sealed record CancelAnswer(
    [property: System.Text.Json.Serialization.JsonPropertyName("id")] string Id,
    [property: System.Text.Json.Serialization.JsonPropertyName("status")] string Status);
