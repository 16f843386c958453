using Azure.Data.Tables;
using Pipeline.Core.Api;
using Pipeline.Core.Storage;
using Pipeline.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.IntegrationTests.Support;
using Pipeline.Core.Inbox;
using Pipeline.Core.Webhooks;

namespace Pipeline.IntegrationTests.Hardening;

/// <summary>
/// Runs jobs on the production durable backend, then searches everything the pipeline keeps or says for secrets: every
/// log line at every level, the task hub's history and instance tables (inputs, outputs, custom status), its large
/// message blobs, the events and the error markers.
/// </summary>
public sealed class SecretsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Jobs_LeaveNoKeySignatureOrWebhookTokenInLogsHistoryEventsOrMarkers()
    {
        await using var host = await LocalHostInProcess.StartAsync();
        var falSecret = host.Fal.ApiKey.Split(':')[1];

        await host.Storage.Inbox.GetBlobClient("secrets/photo.jpg").UploadAsync(TestFiles.Jpeg, Token);
        var inboxJob = await host.Services.GetRequiredService<InboxJobStarter>()
            .StartAsync(host.Client, PipelineStorage.InboxContainerName, "secrets/photo.jpg", Token);
        await host.Storage.Inbox.GetBlobClient("secrets/broken.json").UploadAsync(
            TestFiles.Json(new { prompt = "fails [emulator: result=error]", duration = "4" }),
            Token);
        await host.Storage.Inbox.GetBlobClient("secrets/broken.jpg").UploadAsync(TestFiles.Jpeg, Token);
        var failingJob = await host.Services.GetRequiredService<InboxJobStarter>()
            .StartAsync(host.Client, PipelineStorage.InboxContainerName, "secrets/broken.jpg", Token);
        var httpJob = await host.SubmitAsync(new { prompt = "A quiet street", resolution = "480p", duration = "4" });
        Assert.Equal(VideoJobStatuses.Succeeded, (await host.WaitForJobAsync(inboxJob!)).Status);
        Assert.Equal(VideoJobStatuses.Failed, (await host.WaitForJobAsync(failingJob!)).Status);
        Assert.Equal(VideoJobStatuses.Succeeded, (await host.WaitForJobAsync(httpJob)).Status);
        Assert.Contains(
            host.Fal.Requests.All,
            r => r.Input?.ImageUrl?.Contains("sig=", StringComparison.Ordinal) == true); // a SAS did go to fal
        var tokens = new[] { inboxJob!, failingJob!, httpJob }.Select(host.Services.GetRequiredService<WebhookToken>().For).ToList();
        Assert.All(
            tokens,
            t => Assert.Contains(
                host.Fal.Requests.All,
                r => r.WebhookUrl?.Contains("token=" + t, StringComparison.Ordinal) == true)); // and the webhook tokens

        var kept = new List<(string Where, string Text)>();
        kept.AddRange(host.Logs.Lines.Select(l => ("log", l)));
        var tables = new TableServiceClient(host.Azurite.ConnectionString);
        foreach (var table in new[] { host.TaskHub + "History", host.TaskHub + "Instances" })
        {
            await foreach (var entity in tables.GetTableClient(table).QueryAsync<TableEntity>(cancellationToken: Token))
            {
                kept.Add((table, string.Join(' ', entity.Select(p => p.Value?.ToString()))));
            }
        }

        var largeMessages = host.Azurite.BlobServiceClient.GetBlobContainerClient(host.TaskHub.ToLowerInvariant() + "-largemessages");
        if (await largeMessages.ExistsAsync(Token))
        {
            await foreach (var blob in largeMessages.GetBlobsAsync(cancellationToken: Token))
            {
                kept.Add((
                    "large message",
                    (await largeMessages.GetBlobClient(blob.Name).DownloadContentAsync(Token)).Value.Content.ToString()));
            }
        }

        kept.AddRange(host.Events().Select(e => ("event", e.ToJsonString())));
        await foreach (var blob in host.Storage.Videos.GetBlobsAsync(
            Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "secrets/", Token))
        {
            if (blob.Name.EndsWith(VideoStore.ErrorMarkerSuffix, StringComparison.Ordinal))
            {
                kept.Add((
                    "error marker",
                    (await host.Storage.Videos.GetBlobClient(blob.Name).DownloadContentAsync(Token)).Value.Content.ToString()));
            }
        }

        Assert.Contains(kept, k => k.Where.EndsWith("History", StringComparison.Ordinal)); // the history was read
        Assert.Contains(kept, k => k.Where == "error marker");
        foreach (var secret in (string[])[falSecret, AzuriteFixture.AccountKey, "sig=", .. tokens])
        {
            var leaks = kept
                .Where(k => k.Text.Contains(secret, StringComparison.Ordinal))
                .Select(k => $"{k.Where}: {k.Text[..Math.Min(300, k.Text.Length)]}")
                .ToList();
            Assert.True(leaks.Count == 0, $"'{secret[..Math.Min(6, secret.Length)]}…' leaked into:\n{string.Join('\n', leaks.Take(5))}");
        }
    }
}
