using System.Security.Cryptography;
using System.Text;
using Pipeline.Core.Webhooks;
using Pipeline.Http.Contract;
using Pipeline.Http.Page;

namespace Pipeline.LocalHost.Startup;

/// <summary>
/// The local host's API key (<see cref="LocalHostOptions.ApiKey"/>), in <c>x-functions-key</c> or <c>?code=</c>, as
/// function keys work in Azure: a call without it is answered 401 with a problem.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, string apiKey)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var given = http.Request.Headers["x-functions-key"].ToString() is { Length: > 0 } header
            ? header
            : http.Request.Query["code"].ToString();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(apiKey)))
        {
            await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "An API key is required",
                detail: "send it in the x-functions-key header").ExecuteAsync(http);
            return;
        }

        await next(http);
    }

    /// <summary>
    /// Every API call takes the key, as every function-key route does in Azure, except what is public there too: the
    /// page, the OpenAPI document and fal's webhook (which proves itself otherwise).
    /// </summary>
    internal static bool RequiresApiKey(HttpContext http) =>
        http.Request.Path.StartsWithSegments("/api")
        && !http.Request.Path.StartsWithSegments("/api/" + VideosPage.Route)
        && !http.Request.Path.StartsWithSegments(OpenApiContract.Route)
        && !http.Request.Path.StartsWithSegments("/" + WebhookUrls.Path);
}

/// <summary>Puts <see cref="ApiKeyMiddleware"/> in front of the calls that require the key, when a key is set.</summary>
internal static class ApiKeyMiddlewareExtensions
{
    public static WebApplication UseApiKey(this WebApplication app, string? apiKey)
    {
        if (!string.IsNullOrEmpty(apiKey))
        {
            app.UseWhen(ApiKeyMiddleware.RequiresApiKey, branch => branch.UseMiddleware<ApiKeyMiddleware>(apiKey));
        }

        return app;
    }
}
