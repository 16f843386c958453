using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Pipeline.Http.Contract;

namespace Pipeline.Functions.Http;

/// <summary>The API's OpenAPI document: anonymous, since a contract holds no secret and clients are generated from it.</summary>
public static class OpenApiFunction
{
    [Function("GetOpenApi")]
    public static IActionResult Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request) =>
        new ContentResult { Content = OpenApiContract.Json, ContentType = "application/json", StatusCode = StatusCodes.Status200OK };
}
