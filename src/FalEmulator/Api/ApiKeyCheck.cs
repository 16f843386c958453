using System.Text.Json.Nodes;
using FalEmulator.Options;
using Microsoft.Extensions.Options;

namespace FalEmulator.Api;

/// <summary>fal's key check: <c>Authorization: Key &lt;id:secret&gt;</c> on every queue call, 401 otherwise.</summary>
public sealed class ApiKeyCheck(IOptions<FalEmulatorOptions> options)
{
    /// <summary>The 401 answer, or null when the caller sent an accepted key.</summary>
    /// <param name="acceptAdminKeys">
    /// For platform API calls open to any key of the account: an admin key is a fal key with more scope, not another kind.
    /// </param>
    public IResult? Refuse(HttpContext http, bool acceptAdminKeys = false)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return Results.Json(new JsonObject { ["detail"] = "Missing authorization header" }, statusCode: 401);
        }

        const string scheme = "Key ";
        var key = header.StartsWith(scheme, StringComparison.Ordinal) ? header[scheme.Length..].Trim() : null;
        var accepted = key is not null && (options.Value.ApiKeys.Contains(key, StringComparer.Ordinal)
            || (acceptAdminKeys && options.Value.AdminKeys.Contains(key, StringComparer.Ordinal)));
        return accepted
            ? null
            // The answer fal gives for an unknown key (seen live: fal-ai/fal#1068).
            : Results.Json(new JsonObject { ["detail"] = "No user found for Key ID and Secret" }, statusCode: 401);
    }
}
