using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Pipeline.Http.Page;

namespace Pipeline.Functions.Http;

/// <summary>The web page at <c>/api/app/</c>: anonymous (static files, no data); the API it calls keeps its function keys.</summary>
public static class VideosPageFunction
{
    [Function("VideosPage")]
    public static IActionResult Serve(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = VideosPage.Route + "/{*file}")] HttpRequest request,
        string? file) =>
        new HttpResultAction(VideosPage.Serve(file, request.HttpContext.Response));
}
