using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Contract;

/// <summary>
/// The OpenAPI document against the real handlers: the routes it lists are the routes the host maps, and every answer
/// of a tour through the API — each status the tour meets — is documented for its route and matches the documented
/// schema (JsonSchema.Net; response schemas refuse unknown fields, so a field the code adds without the contract fails).
/// </summary>
public sealed class OpenApiContractTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    [Fact]
    public async Task TheDocumentsRoutes_AreTheHostsRoutes()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var document = await DocumentAsync(host);

        var mapped = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal)
                && !e.RoutePattern.RawText.StartsWith("/api/app", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
                .SelectMany(m => Expand(e.RoutePattern.RawText!.TrimEnd('/')).Select(p => $"{m} {p}")))
            .ToHashSet(StringComparer.Ordinal);
        var documented = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(o => $"{o.Key.ToUpperInvariant()} {p.Key}"))
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(
            mapped.SetEquals(documented),
            $"mapped, not documented: {string.Join(", ", mapped.Except(documented))}; "
            + $"documented, not mapped: {string.Join(", ", documented.Except(mapped))}");
    }

    [Fact]
    public async Task EveryAnswerOfATourThroughTheApi_IsDocumented_AndMatchesItsSchema()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var document = await DocumentAsync(host);
        var contract = new ContractChecker(document);
        var checks = new List<string>();
        async Task<JsonNode?> Call(
            HttpMethod method, string path, string template, object? body = null, string? key = null, bool valid = true)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = System.Net.Http.Json.JsonContent.Create(body);
            }

            if (body is not null && valid)
            {
                var bodyProblems = contract.RequestProblems(template, JsonSerializer.SerializeToElement(body));
                Assert.True(
                    bodyProblems.Count == 0,
                    $"{method} {path}: the request does not match the document: {string.Join("; ", bodyProblems)}");
            }

            if (key is not null)
            {
                request.Headers.Add("Idempotency-Key", key);
            }

            using var response = await host.Http.SendAsync(request, Token);
            var text = await response.Content.ReadAsStringAsync(Token);
            var problems = contract.ResponseProblems(template, method.Method.ToLowerInvariant(), (int)response.StatusCode, text);
            Assert.True(problems.Count == 0, $"{method} {path} → {(int)response.StatusCode}: {string.Join("; ", problems)}\n{text}");
            checks.Add($"{method} {template} {(int)response.StatusCode}");
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }

        var key = "contract-" + Guid.NewGuid();
        var ask = new
        {
            prompt = "A contract of a lighthouse",
            resolution = "480p",
            duration = "4",
            end_user_id = "contract",
            correlation = new Dictionary<string, string> { ["order"] = "1" },
        };
        var job = (await Call(HttpMethod.Post, "/api/videos/text-to-video", "/api/videos/text-to-video", ask, key))!["id"]!
            .GetValue<string>();
        await Call(HttpMethod.Get, $"/api/videos/{job}", "/api/videos/{id}");
        await Call(
            HttpMethod.Post,
            "/api/videos/text-to-video",
            "/api/videos/text-to-video",
            new { prompt = "Another request under the key" },
            key); // 409
        await Call(
            HttpMethod.Post,
            "/api/videos/image-to-video",
            "/api/videos/image-to-video",
            new { prompt = "No image" },
            valid: false); // 400
        var variants = (await Call(
            HttpMethod.Post,
            "/api/videos/text-to-video",
            "/api/videos/text-to-video",
            new { prompt = "Takes", resolution = "480p", duration = "4", variants = 2 }))!;
        var slow = (await Call(
            HttpMethod.Post,
            "/api/videos/text-to-video",
            "/api/videos/text-to-video",
            new { prompt = "Slow [emulator: queue=600s]", resolution = "480p", duration = "4" }))!["id"]!.GetValue<string>();
        await Call(HttpMethod.Delete, $"/api/videos/{slow}", "/api/videos/{id}"); // 202
        await host.WaitForJobAsync(job);
        await Call(HttpMethod.Get, $"/api/videos/{job}", "/api/videos/{id}");
        await Call(HttpMethod.Delete, $"/api/videos/{job}", "/api/videos/{id}"); // 409
        await Call(HttpMethod.Get, "/api/videos/api-00000000000000000000000000000000", "/api/videos/{id}"); // 404
        await Call(HttpMethod.Delete, "/api/videos/api-00000000000000000000000000000000", "/api/videos/{id}"); // 404
        await Call(HttpMethod.Get, "/api/videos?limit=5", "/api/videos");
        await Call(HttpMethod.Get, "/api/videos?limit=0", "/api/videos"); // 400
        var batch = variants["batch_id"]!.GetValue<string>();
        await Call(HttpMethod.Get, $"/api/videos?batch={batch}", "/api/videos");
        await Call(HttpMethod.Get, $"/api/batches/{batch}", "/api/batches/{id}");
        await Call(HttpMethod.Get, "/api/batches/batch-00000000000000000000000000000000", "/api/batches/{id}"); // 404
        await Call(HttpMethod.Get, "/api/usage", "/api/usage");
        await Call(HttpMethod.Get, "/api/usage?date=yesterday", "/api/usage"); // 400
        await Call(HttpMethod.Get, "/api/health", "/api/health");

        foreach (var expected in new[]
                 {
                     "POST /api/videos/text-to-video 202", "POST /api/videos/text-to-video 409", "POST /api/videos/image-to-video 400",
                     "DELETE /api/videos/{id} 202", "DELETE /api/videos/{id} 409", "DELETE /api/videos/{id} 404",
                     "GET /api/videos/{id} 200", "GET /api/videos/{id} 404", "GET /api/videos 200", "GET /api/videos 400",
                     "GET /api/batches/{id} 200", "GET /api/batches/{id} 404",
                     "GET /api/usage 200", "GET /api/usage 400", "GET /api/health 200",
                 })
        {
            Assert.Contains(expected, checks);
        }
    }

    private static async Task<JsonObject> DocumentAsync(PipelineTestHost host)
    {
        using var response = await host.Http.GetAsync("/api/openapi.json", Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!.AsObject();
        Assert.Equal("3.1.0", document["openapi"]!.GetValue<string>());
        return document;
    }

    /// <summary><c>/api/videos/{mode}</c> is documented as one path per mode.</summary>
    private static IEnumerable<string> Expand(string route) => route.Contains("{mode}", StringComparison.Ordinal)
        ? Enum.GetValues<global::Pipeline.Core.Requests.VideoMode>()
            .Select(m => route.Replace("{mode}", global::Pipeline.Core.Requests.VideoModes.Slug(m), StringComparison.Ordinal))
        : [route];

    /// <summary>Checks bodies against the document's schemas, its components as <c>$defs</c> of one schema resource.</summary>
    private sealed class ContractChecker
    {
        private readonly JsonObject _document;
        private readonly BuildOptions _build = new() { SchemaRegistry = new SchemaRegistry() };

        public ContractChecker(JsonObject document)
        {
            _document = document;
            var defs = JsonNode.Parse(document["components"]!["schemas"]!
                .ToJsonString()
                .Replace("#/components/schemas/", "urn:contract#/$defs/", StringComparison.Ordinal))!;
            JsonSchema.FromText(
                new JsonObject
                {
                    ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                    ["$id"] = "urn:contract",
                    ["$defs"] = defs,
                }.ToJsonString(),
                _build);
        }

        public List<string> ResponseProblems(string path, string method, int status, string body)
        {
            var response = _document["paths"]?[path]?[method]?["responses"]
                ?[status.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            if (response is null)
            {
                return [$"{status} is not documented for {method.ToUpperInvariant()} {path}"];
            }

            var schema = response["content"]!.AsObject().First().Value!["schema"]!;
            return body.Length == 0 ? ["an empty body"] : Problems(schema, JsonDocument.Parse(body).RootElement);
        }

        public List<string> RequestProblems(string path, JsonElement body) =>
            Problems(_document["paths"]![path]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!, body);

        private List<string> Problems(JsonNode schema, JsonElement instance)
        {
            var text = schema.ToJsonString().Replace("#/components/schemas/", "urn:contract#/$defs/", StringComparison.Ordinal);
            return PublishedSchemas.ProblemsOf(JsonSchema.FromText(text, _build), instance);
        }
    }
}
