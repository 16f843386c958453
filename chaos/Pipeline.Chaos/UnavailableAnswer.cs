using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Pipeline.Chaos;

/// <summary>
/// What each dependency answers when it is up but cannot serve: a 503 with the error body its own clients parse, so
/// the SDKs classify it as they would in Azure (<c>ServerBusy</c> for storage) rather than as an unknown failure.
/// </summary>
public static class UnavailableAnswer
{
    /// <summary>Azure Storage's blob and queue services: an XML <c>Error</c> and <c>x-ms-error-code</c>.</summary>
    public static Task StorageXml(HttpContext http)
    {
        StorageHeaders(http, "application/xml");
        var message = new System.Xml.Linq.XText(ServerBusyMessage(http)).ToString();
        var body = $"""<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>{message}</Message></Error>""";
        return http.Response.WriteAsync(body, http.RequestAborted);
    }

    /// <summary>Azure Storage's table service: the JSON <c>odata.error</c> form.</summary>
    public static Task StorageTable(HttpContext http)
    {
        StorageHeaders(http, "application/json;odata=minimalmetadata;streaming=true;charset=utf-8");
        var body = new JsonObject
        {
            ["odata.error"] = new JsonObject
            {
                ["code"] = "ServerBusy",
                ["message"] = new JsonObject { ["lang"] = "en-US", ["value"] = ServerBusyMessage(http) },
            },
        };
        return http.Response.WriteAsync(body.ToJsonString(), http.RequestAborted);
    }

    /// <summary>fal (its queue API and its file host): <c>{"detail": "…"}</c>.</summary>
    public static Task Fal(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.ContentType = "application/json";
        var body = new JsonObject { ["detail"] = "Service temporarily unavailable" };
        return http.Response.WriteAsync(body.ToJsonString(), http.RequestAborted);
    }

    /// <summary>Event Grid: <c>{"error": {"code", "message"}}</c>.</summary>
    public static Task EventGrid(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.ContentType = "application/json; charset=utf-8";
        var body = new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = "ServiceUnavailable",
                ["message"] = $"The service is temporarily unavailable. Report '{Guid.NewGuid()}:{DateTimeOffset.UtcNow:O}' "
                    + "if it persists.",
            },
        };
        return http.Response.WriteAsync(body.ToJsonString(), http.RequestAborted);
    }

    private static void StorageHeaders(HttpContext http, string contentType)
    {
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.ContentType = contentType;
        http.Response.Headers["x-ms-error-code"] = "ServerBusy";
        http.Response.Headers["x-ms-request-id"] = Guid.NewGuid().ToString();
        var version = http.Request.Headers["x-ms-version"].ToString();
        http.Response.Headers["x-ms-version"] = version.Length > 0 ? version : "2025-11-05";
    }

    private static string ServerBusyMessage(HttpContext http) => string.Create(CultureInfo.InvariantCulture,
        $"The server is busy.\nRequestId:{http.Response.Headers["x-ms-request-id"]}\nTime:{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffffffZ}");
}
