using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Core.Api;
using Pipeline.Core.Requests;

namespace Pipeline.LocalHost.OneShot;

/// <summary>
/// A serving local host (<c>run.sh</c> alone) already on this machine at <c>http://localhost:{LocalHost:Port}</c>, and
/// its HTTP API as a one-shot uses it. It is told by its readiness address (<c>GET /</c> answers 200 and says, in
/// <see cref="LocalPipelineHost.ModeHeader"/>, that it serves) and its health (<c>GET /api/health</c>, with
/// <c>LocalHost:ApiKey</c> when set). A one-shot's own host is not one: it stops when its own job ends.
/// </summary>
public sealed class RunningLocalHost : IDisposable
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The parts of a health answer that decide whether jobs can run.</summary>
    private static readonly string[] HealthParts = ["storage", "task_hub", "fal"];

    private readonly HttpClient _http;

    private RunningLocalHost(HttpClient http)
    {
        _http = http;
    }

    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>What answers on the configured port.</summary>
    public abstract record Found
    {
        private Found()
        {
        }

        /// <summary>A serving host that can run jobs now.</summary>
        public sealed record Serving(RunningLocalHost Host) : Found;

        /// <summary>A serving host the one-shot cannot use: it asks for a key the one-shot lacks, or cannot run jobs now.</summary>
        public sealed record Unusable(string Problem) : Found;

        /// <summary>Nothing, or something that is not a serving local host (<paramref name="Occupant"/> says what, when known).</summary>
        public sealed record None(string? Occupant) : Found;
    }

    public static async Task<Found> FindAsync(LocalHostOptions options, CancellationToken cancellationToken)
    {
        var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })
        {
            BaseAddress = new Uri($"http://localhost:{options.Port}"),
            Timeout = TimeSpan.FromMinutes(10), // an upload of the seed's largest files; each question has its own, shorter, limit
        };
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            http.DefaultRequestHeaders.Add("x-functions-key", options.ApiKey);
        }

        var found = await AskAsync(http, cancellationToken);
        if (found is not Found.Serving)
        {
            http.Dispose();
        }

        return found;
    }

    private static async Task<Found> AskAsync(HttpClient http, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(AskTimeout);
        try
        {
            using var page = await http.GetAsync("/", limit.Token);
            var mode = page.Headers.TryGetValues(LocalPipelineHost.ModeHeader, out var values) ? values.FirstOrDefault() : null;
            if (page.StatusCode != HttpStatusCode.OK || mode is null)
            {
                return new Found.None("a program that is not a local host");
            }

            if (mode != LocalPipelineHost.ServingMode)
            {
                return new Found.None("a one-shot's host, which stops when its job ends");
            }

            using var health = await http.GetAsync("/api/health", limit.Token);
            return health.StatusCode switch
            {
                HttpStatusCode.OK => new Found.Serving(new RunningLocalHost(http)),
                HttpStatusCode.Unauthorized => new Found.Unusable(
                    $"the local host already running at {http.BaseAddress} asks for an API key: give this run its LocalHost:ApiKey"),
                _ => new Found.Unusable($"the local host already running at {http.BaseAddress} cannot run jobs now "
                                        + $"({await UnhealthyAsync(health, limit.Token)}); see {http.BaseAddress}api/health"),
            };
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var nothing = e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError };
            return new Found.None(nothing ? null : "a program that does not answer as a local host");
        }
    }

    /// <summary>What the health answer says is not healthy: <c>storage: unhealthy (…)</c>.</summary>
    private static async Task<string> UnhealthyAsync(HttpResponseMessage health, CancellationToken cancellationToken)
    {
        try
        {
            var report = await health.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
            var parts = HealthParts
                .Where(part => report?[part]?["status"]?.GetValue<string>() is not ("healthy" or null))
                .Select(part => $"{part}: {report![part]!["status"]}{(report[part]!["error"] is { } error ? $" ({error})" : "")}");
            return string.Join("; ", parts) is { Length: > 0 } said ? said : $"HTTP {(int)health.StatusCode}";
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            return $"HTTP {(int)health.StatusCode}";
        }
    }

    /// <summary>Starts the job: its id, or why the host refused it (its problem+json, said in one line).</summary>
    public async Task<(string? Id, string? Problem)> SubmitAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync($"/api/videos/{request.Mode.Slug()}", request.Content, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonObject? answer = null;
        try
        {
            answer = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            // not JSON: said by its status below
        }

        if (response.StatusCode == HttpStatusCode.Accepted && answer?["id"]?.GetValue<string>() is { } id)
        {
            return (id, null);
        }

        var errors = answer?["errors"] is JsonObject fields
            ? string.Join("; ", fields.Select(f => $"{f.Key}: {string.Join(", ", f.Value?.AsArray().Select(m => m?.ToString()) ?? [])}"))
            : null;
        var said = errors ?? answer?["detail"]?.ToString() ?? answer?["title"]?.ToString() ?? body;
        return (null, $"the local host at {BaseAddress} refused the job (HTTP {(int)response.StatusCode}): {said}");
    }

    /// <summary>The job as <c>GET /api/videos/{id}</c> shows it; null for a job it does not know; throws without an answer.</summary>
    public async Task<VideoJobView?> StatusAsync(string id, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(AskTimeout);
        using var response = await _http.GetAsync($"/api/videos/{Uri.EscapeDataString(id)}", limit.Token);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<VideoJobView>(JsonSerializerOptions.Web, limit.Token);
    }

    public void Dispose() => _http.Dispose();
}
