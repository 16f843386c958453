using System.Text.Json.Nodes;
using FalEmulator.Recording;
using Pipeline.Core.Events;
using Pipeline.Core.Storage;
using Pipeline.IntegrationTests.Infrastructure;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.Pipeline;

/// <summary>Files dropped into the inbox container, end to end (the trigger's call is made as the blob trigger makes it).</summary>
public sealed class InboxJobTests(AzuriteFixture azurite)
{
    private static CancellationToken Token => PipelineTestHost.Token;

    /// <summary>A folder of its own per test, in the shared inbox.</summary>
    private static string Folder() => "t" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task ImageWithoutSidecar_BecomesAVideoBesideItWithTheDefaultPrompt()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();

        var id = await host.DropAsync($"{folder}/holiday.jpg", TestFiles.Jpeg);
        var job = await host.WaitForJobAsync(id!);

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        Assert.Equal("image-to-video", job["mode"]!.GetValue<string>());
        Assert.Equal($"inbox/{folder}/holiday.jpg", job["source"]!.GetValue<string>());
        var video = await host.VideoBlob($"{folder}/holiday.mp4").DownloadContentAsync(Token);
        var emulated = host.Fal.Requests.Find(job["fal_request_id"]!.GetValue<string>())!;
        Assert.Equal(await File.ReadAllBytesAsync(emulated.VideoPath!, Token), video.Value.Content.ToArray());
        Assert.Equal(Uri.EscapeDataString($"inbox/{folder}/holiday.jpg"), video.Value.Details.Metadata["source"]);
        Assert.Equal(host.Options.DefaultPrompt, emulated.Input!.Prompt);
        // A SAS URL of Azurite, minted in the activity.
        Assert.StartsWith("http://127.0.0.1:", emulated.Input.ImageUrl, StringComparison.Ordinal);
        Assert.Contains("sig=", emulated.Input.ImageUrl, StringComparison.Ordinal);
        var succeeded = (await host.Events.WaitForAsync(e => e.Any(x => x.Type == JobEventTypes.Succeeded)))
            .Single(e => e.Type == JobEventTypes.Succeeded);
        Assert.Equal($"videos/{folder}/holiday.mp4", succeeded.Subject);
    }

    [Fact]
    public async Task ImageWithSidecar_UsesTheSidecarsPromptOptionsAndEndFrame()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();
        await host.Storage.Inbox.GetBlobClient($"{folder}/frames/last.png").UploadAsync(TestFiles.Png, Token);
        await host.Storage.Inbox.GetBlobClient($"{folder}/cat.json").UploadAsync(
            TestFiles.Json(new
            {
                prompt = "The cat yawns",
                resolution = "480p",
                duration = "5",
                generate_audio = false,
                seed = 99,
                end_image = "frames/last.png",
            }),
            Token);

        var id = await host.DropAsync($"{folder}/cat.png", TestFiles.Png);
        var job = await host.WaitForJobAsync(id!);

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        var input = host.Fal.Requests.Find(job["fal_request_id"]!.GetValue<string>())!.Input!;
        Assert.Equal("The cat yawns", input.Prompt);
        Assert.Equal("480p", input.Resolution);
        Assert.Equal("5", input.Duration);
        Assert.False(input.GenerateAudio);
        Assert.Equal(99, input.Seed);
        Assert.Contains($"/inbox/{folder}/frames/last.png", input.EndImageUrl, StringComparison.Ordinal);
        Assert.True(await host.VideoBlob($"{folder}/cat.mp4").ExistsAsync(Token));
    }

    [Fact]
    public async Task ImageWithMetadata_TakesThePromptFromTheMetadata()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();

        var id = await host.DropAsync(
            $"{folder}/boat.jpg",
            TestFiles.Jpeg,
            new Dictionary<string, string> { ["prompt"] = "A%20boat%20sails%20away", ["duration"] = "4" });
        var job = await host.WaitForJobAsync(id!);

        var input = host.Fal.Requests.Find(job["fal_request_id"]!.GetValue<string>())!.Input!;
        Assert.Equal("A boat sails away", input.Prompt);
        Assert.Equal("4", input.Duration);
    }

    [Fact]
    public async Task JsonWithoutImage_StartsATextToVideoJob()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();

        var id = await host.DropAsync(
            $"{folder}/idea.json",
            TestFiles.Json(new { prompt = "Northern lights over a frozen lake", resolution = "480p", duration = "4" }));
        var job = await host.WaitForJobAsync(id!);

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        Assert.Equal("text-to-video", job["mode"]!.GetValue<string>());
        Assert.True(await host.VideoBlob($"{folder}/idea.mp4").ExistsAsync(Token));
    }

    [Fact]
    public async Task JsonNamingReferences_StartsAReferenceToVideoJob()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();
        await host.Storage.Inbox.GetBlobClient($"{folder}/refs/a.jpg").UploadAsync(TestFiles.Jpeg, Token);

        var id = await host.DropAsync(
            $"{folder}/mix.json",
            TestFiles.Json(new { prompt = "@Image1 in the rain", images = new[] { "refs/a.jpg" }, resolution = "480p", duration = "4" }));
        var job = await host.WaitForJobAsync(id!);

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        Assert.Equal("reference-to-video", job["mode"]!.GetValue<string>());
        var input = host.Fal.Requests.Find(job["fal_request_id"]!.GetValue<string>())!.Input!;
        Assert.Contains($"/inbox/{folder}/refs/a.jpg", Assert.Single(input.ImageUrls), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameBlobEventDeliveredTwice_StartsOneJob()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();

        var first = await host.DropAsync($"{folder}/twice.jpg", TestFiles.Jpeg);
        var second = await host.TriggerInboxAsync($"{folder}/twice.jpg");
        await host.WaitForJobAsync(first!);
        var third = await host.TriggerInboxAsync($"{folder}/twice.jpg");

        Assert.Equal(first, second);
        Assert.Equal(first, third);
        Assert.Single(host.Fal.Recorder.Calls, c => c.Kind == CallKind.Submit);
    }

    [Fact]
    public async Task SameNameUploadedAgain_IsANewVersionAndANewJob()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();

        var first = await host.DropAsync($"{folder}/again.jpg", TestFiles.Jpeg);
        await host.WaitForJobAsync(first!);
        var second = await host.DropAsync($"{folder}/again.jpg", TestFiles.Jpeg);

        Assert.NotEqual(first, second);
        Assert.Equal("succeeded", (await host.WaitForJobAsync(second!))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task SidecarUploadedJustAfterItsImageInAFolderOfSidecars_IsStillUsed()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s => s["Pipeline:SidecarGrace"] = "00:00:03");
        var folder = Folder();
        await host.DropAsync($"{folder}/first.json", TestFiles.Json(new { prompt = "The first one", duration = "4" }));
        var first = await host.DropAsync($"{folder}/first.jpg", TestFiles.Jpeg);

        var imageJob = await host.DropAsync($"{folder}/late.jpg", TestFiles.Jpeg);
        var sidecarJob = await host.DropAsync(
            $"{folder}/late.json",
            TestFiles.Json(new { prompt = "Seen within the grace", duration = "4" }));
        var image = await host.WaitForJobAsync(imageJob!);
        var sidecar = await host.WaitForJobAsync(sidecarJob!);

        Assert.Equal("Seen within the grace", host.Fal.Requests.Find(image["fal_request_id"]!.GetValue<string>())!.Input!.Prompt);
        Assert.Equal("cancelled", sidecar["status"]!.GetValue<string>());
        Assert.Equal("superseded", sidecar["error"]!["code"]!.GetValue<string>());
        await host.WaitForJobAsync(first!);
        Assert.Equal(2, host.Fal.Recorder.Calls.Count(c => c.Kind == CallKind.Submit)); // first.jpg and late.jpg, nothing for the sidecars
    }

    [Fact]
    public async Task ImageInAFolderWithoutSidecars_IsSubmittedWithoutWaitingTheGrace()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s => s["Pipeline:SidecarGrace"] = "00:01:00");

        var id = await host.DropAsync($"{Folder()}/quick.jpg", TestFiles.Jpeg);
        var job = await host.WaitForJobAsync(id!, TimeSpan.FromSeconds(30));

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task SidecarUploadedBeforeItsImageWithinTheLoneWait_IsThatImagesSidecarAndNothingIsBilledTwice()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s => s["Pipeline:LoneRequestWait"] = "00:00:05");
        var folder = Folder();

        var sidecarJob = await host.DropAsync(
            $"{folder}/slow.json",
            TestFiles.Json(new { prompt = "Uploaded first, a while before its image", duration = "4" }));
        await Task.Delay(TimeSpan.FromSeconds(2), Token); // a slow upload, longer than the sidecar grace
        var imageJob = await host.DropAsync($"{folder}/slow.jpg", TestFiles.Jpeg);
        var image = await host.WaitForJobAsync(imageJob!);
        var sidecar = await host.WaitForJobAsync(sidecarJob!);

        Assert.Equal("superseded", sidecar["error"]!["code"]!.GetValue<string>());
        Assert.Equal(
            "Uploaded first, a while before its image",
            host.Fal.Requests.Find(image["fal_request_id"]!.GetValue<string>())!.Input!.Prompt);
        Assert.Single(host.Fal.Recorder.Calls, c => c.Kind == CallKind.Submit);
    }

    [Fact]
    public async Task JsonWhoseModeIsTextToVideo_RunsWithoutWaitingForAnImage()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s => s["Pipeline:LoneRequestWait"] = "00:01:00");

        var id = await host.DropAsync(
            $"{Folder()}/now.json",
            TestFiles.Json(new { mode = "text-to-video", prompt = "Straight away", duration = "4" }));
        var job = await host.WaitForJobAsync(id!, TimeSpan.FromSeconds(30));

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task SidecarUploadedAfterItsImagesJobStarted_IsIgnoredAndTheVideoKeepsTheDefaultPrompt()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();

        var imageJob = await host.DropAsync($"{folder}/early.jpg", TestFiles.Jpeg);
        var image = await host.WaitForJobAsync(imageJob!);
        var sidecarJob = await host.DropAsync($"{folder}/early.json", TestFiles.Json(new { prompt = "Too late" }));
        var sidecar = await host.WaitForJobAsync(sidecarJob!);

        Assert.Equal(host.Options.DefaultPrompt, host.Fal.Requests.Find(image["fal_request_id"]!.GetValue<string>())!.Input!.Prompt);
        Assert.Equal("superseded", sidecar["error"]!["code"]!.GetValue<string>());
        Assert.Single(host.Fal.Recorder.Calls, c => c.Kind == CallKind.Submit);
    }

    [Fact]
    public async Task FalError_LeavesAnErrorMarkerAndAFailedEvent()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();
        await host.Storage.Inbox.GetBlobClient($"{folder}/bad.json").UploadAsync(
            TestFiles.Json(new { prompt = "Doomed [emulator: result=error]", duration = "4" }),
            Token);

        var id = await host.DropAsync($"{folder}/bad.jpg", TestFiles.Jpeg);
        var job = await host.WaitForJobAsync(id!);

        Assert.Equal("failed", job["status"]!.GetValue<string>());
        Assert.False(await host.VideoBlob($"{folder}/bad.mp4").ExistsAsync(Token));
        var markerBlob = host.VideoBlob($"{folder}/bad{VideoStore.ErrorMarkerSuffix}");
        var marker = JsonNode.Parse((await markerBlob.DownloadContentAsync(Token)).Value.Content.ToString())!;
        // The tag is what infra's lifecycle rule ages out.
        Assert.Equal("error-marker", (await markerBlob.GetTagsAsync(cancellationToken: Token)).Value.Tags["kind"]);
        Assert.Equal(id, marker["job_id"]!.GetValue<string>());
        Assert.Equal("fal_error", marker["error"]!["code"]!.GetValue<string>());
        Assert.Contains("500", marker["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var failed = (await host.Events.WaitForAsync(e => e.Any(x => x.Type == JobEventTypes.Failed)))
            .Single(e => e.Type == JobEventTypes.Failed);
        Assert.Equal($"videos/{folder}/bad.mp4", failed.Subject);
    }

    [Fact]
    public async Task InvalidSidecar_FailsBeforeSubmittingWithTheFieldInTheMarker()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        var folder = Folder();
        await host.Storage.Inbox.GetBlobClient($"{folder}/wrong.json").UploadAsync(
            TestFiles.Json(new { prompt = "x", resolution = "4k", end_image = "../../etc/passwd" }),
            Token);

        var id = await host.DropAsync($"{folder}/wrong.jpg", TestFiles.Jpeg);
        var job = await host.WaitForJobAsync(id!);

        Assert.Equal("failed", job["status"]!.GetValue<string>());
        var message = job["error"]!["message"]!.GetValue<string>();
        Assert.Contains("end_image", message, StringComparison.Ordinal);
        Assert.True(await host.VideoBlob($"{folder}/wrong{VideoStore.ErrorMarkerSuffix}").ExistsAsync(Token));
        Assert.DoesNotContain(host.Fal.Recorder.Calls, c => c.Kind == CallKind.Submit);
    }

    [Fact]
    public async Task DataUriSetting_SendsTheImageInlineInsteadOfASasUrl()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite, s => s["Pipeline:SendInputsAsDataUris"] = "true");

        var id = await host.DropAsync($"{Folder()}/inline.png", TestFiles.Png);
        var job = await host.WaitForJobAsync(id!);

        Assert.Equal("succeeded", job["status"]!.GetValue<string>());
        var imageUrl = host.Fal.Requests.Find(job["fal_request_id"]!.GetValue<string>())!.Input!.ImageUrl!;
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(TestFiles.Png.ToArray()), imageUrl);
    }

    [Fact]
    public async Task EventGridFailingTwice_TheEventIsStillPublishedOnce()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);
        host.Events.FailNext(2);

        var id = await host.DropAsync($"{Folder()}/flaky.jpg", TestFiles.Jpeg);
        await host.WaitForJobAsync(id!);
        var events = await host.Events.WaitForAsync(e => e.Any(x => x.Type == JobEventTypes.Succeeded), TimeSpan.FromSeconds(30));

        Assert.Single(events, e => e.Type == JobEventTypes.Submitted);
        Assert.Single(events, e => e.Type == JobEventTypes.Succeeded);
        Assert.Equal(2, host.Events.Requests.Count(r => r.Status == 500));
    }

    [Fact]
    public async Task FileThatIsNeitherImageNorJson_StartsNothing()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite);

        var id = await host.DropAsync($"{Folder()}/notes.txt", BinaryData.FromString("hello"));

        Assert.Null(id);
    }
}
