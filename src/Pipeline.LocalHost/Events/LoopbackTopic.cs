using System.Text.Json.Serialization;

namespace Pipeline.LocalHost.Events;

/// <summary>
/// An Event Grid topic of its own on a free loopback port, for the tests and the benchmark: <c>POST /api/events</c>
/// under <see cref="TopicRules.CloudEvents"/> with the key it was given. Each call goes to the owner's
/// <c>onPost</c>, which keeps what it wants and may answer otherwise (a failure it injects, an event it refuses); a
/// refusal is answered as Event Grid does, <c>{"error":{"code":…,"message":…}}</c>.
/// </summary>
public sealed class LoopbackTopic : IAsyncDisposable
{
    public const string Route = "/api/events";

    private readonly WebApplication _app;

    private LoopbackTopic(WebApplication app, string key, Uri topicEndpoint)
    {
        _app = app;
        Key = key;
        TopicEndpoint = topicEndpoint;
    }

    /// <summary><c>http://127.0.0.1:{port}/api/events</c>.</summary>
    public Uri TopicEndpoint { get; }

    /// <summary>The access key the topic expects in <c>aeg-sas-key</c>.</summary>
    public string Key { get; }

    /// <param name="key">The access key publishers must send.</param>
    /// <param name="onPost">Sees every call as the topic read it and returns it as it is to be answered.</param>
    /// <param name="cancellationToken">Gives up starting.</param>
    public static async Task<LoopbackTopic> StartAsync(
        string key, Func<TopicPost, TopicPost> onPost, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(onPost);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost(Route, async (HttpContext context) =>
        {
            var received = await EventGridTopic.ReceiveAsync(context.Request, key, TopicRules.CloudEvents, context.RequestAborted);
            await AnswerAsync(context.Response, onPost(received), context.RequestAborted);
        });
        await app.StartAsync(cancellationToken);
        return new LoopbackTopic(app, key, new Uri(new Uri(app.Urls.First()), Route));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private static async Task AnswerAsync(HttpResponse response, TopicPost post, CancellationToken cancellationToken)
    {
        response.StatusCode = post.Status;
        if (post.Problem is { } problem)
        {
            var code = ((System.Net.HttpStatusCode)post.Status).ToString();
            var body = new ErrorBody(new ErrorDetail(code, problem));
            await response.WriteAsJsonAsync(body, TopicJson.Default.ErrorBody, cancellationToken: cancellationToken);
        }
    }

    internal sealed record ErrorBody(ErrorDetail Error);

    internal sealed record ErrorDetail(string Code, string Message);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LoopbackTopic.ErrorBody))]
internal sealed partial class TopicJson : JsonSerializerContext;
