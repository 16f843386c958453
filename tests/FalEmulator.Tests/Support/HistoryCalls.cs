using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using FalEmulator.Api;

namespace FalEmulator.Tests.Support;

/// <summary>The request history's calls, and requests brought to their end, for the history tests.</summary>
public static class HistoryCalls
{
    public const string AdminKey = "emulator-admin-id:emulator-admin-secret";

    /// <summary><c>GET /v1/models/requests/by-endpoint?{query}</c> with the queue key, another key, or none (<c>""</c>).</summary>
    public static async Task<(HttpStatusCode Status, JsonObject Body)> ListAsync(this EmulatorClient fal, string query, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{RequestHistoryApi.Path}?{query}");
        var sent = key ?? fal.Host.ApiKey;
        if (sent.Length > 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Key", sent);
        }

        using var anonymous = new HttpClient { BaseAddress = fal.Host.BaseAddress };
        using var response = await anonymous.SendAsync(request, EmulatorClient.Token);
        return (response.StatusCode, await EmulatorClient.ReadAsync(response));
    }

    /// <summary>Submits and waits for COMPLETED; returns the request id.</summary>
    public static async Task<string> EndedAsync(this EmulatorClient fal, string endpointId, object body, string? faults = null)
    {
        var (status, queued, response) = await fal.SubmitAsync(endpointId, body, faults: faults);
        response.Dispose();
        Assert.Equal(HttpStatusCode.OK, status);
        await fal.WaitForCompletionAsync(queued["status_url"]!.GetValue<string>());
        return queued["request_id"]!.GetValue<string>();
    }

    /// <summary>The ids of a listing's items, in order.</summary>
    public static List<string> Ids(JsonObject listing) =>
        [.. listing["items"]!.AsArray().Select(i => i!["request_id"]!.GetValue<string>())];
}
