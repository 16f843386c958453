using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace Pipeline.Http.Page;

/// <summary>
/// The web page (<c>/api/app/</c> on every host): static files embedded in this assembly, so the Functions app and the
/// local host serve the same page without a build step or anything fetched from the internet. The page calls the
/// videos API with the key the user gives it (function keys in Azure, <c>LocalHost__ApiKey</c> locally).
/// </summary>
public static class VideosPage
{
    public const string Route = "app";

    private static readonly Assembly Assembly = typeof(VideosPage).Assembly;

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["app.js"] = "text/javascript; charset=utf-8",
        ["app.css"] = "text/css; charset=utf-8",
    };

    // The page's own files only; videos play from storage (SAS URLs), so media may come from http(s) hosts.
    private const string ContentSecurityPolicy =
        "default-src 'self'; media-src 'self' http: https: blob:; img-src 'self' blob: data:; "
        + "style-src 'self'; script-src 'self'; frame-ancestors 'none'";

    /// <summary>Serves <paramref name="file"/> (empty for the page itself), or 404 for anything that is not one of its files.</summary>
    public static IResult Serve(string? file, HttpResponse response)
    {
        var name = string.IsNullOrEmpty(file) ? "index.html" : file;
        if (!ContentTypes.TryGetValue(name, out var contentType)
            || Assembly.GetManifestResourceStream($"Pipeline.Http.Page.wwwroot.{name}") is not { } stream)
        {
            return TypedResults.NotFound();
        }

        response.Headers.CacheControl = "no-cache";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        return TypedResults.Stream(stream, contentType);
    }
}
