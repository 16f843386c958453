using System.Security.Cryptography;
using System.Text.Json.Nodes;
using FalEmulator.Faults;
using FalEmulator.Media;
using FalEmulator.Queue;

namespace FalEmulator.Model;

/// <summary>
/// The emulated Seedance 2.0 Fast model: what a fal runner does with one request. Refuses invalid input with a 422
/// (fal validates inside the runner, after the submit was accepted), downloads the inputs, renders a real MP4 and
/// answers with the model's output schema <c>{ "video": File, "seed" }</c>.
/// </summary>
public class SeedanceModel(InputFetcher inputFetcher, VideoRenderer renderer, TimeProvider time)
{
    /// <summary>Runs the model; returns its outcome and the rendered file (null on failure).</summary>
    public virtual async Task<(RequestOutcome Outcome, string? VideoPath)> RunAsync(
        QueuedRequest request, string workDirectory, string mediaBaseUrl, CancellationToken cancellationToken)
    {
        if (request.Input is not { } input)
        {
            return (ValidationFailure(request.InputErrors), null);
        }

        var images = new List<(string Field, int? Index, string Url)>();
        var videos = new List<(string Field, int? Index, string Url)>();
        var audios = new List<(string Field, int? Index, string Url)>();
        if (input.ImageUrl is { } imageUrl)
        {
            images.Add(("image_url", null, imageUrl));
        }

        if (input.EndImageUrl is { } endImageUrl)
        {
            images.Add(("end_image_url", null, endImageUrl));
        }

        images.AddRange(input.ImageUrls.Select((u, i) => ("image_urls", (int?)i, u)));
        videos.AddRange(input.VideoUrls.Select((u, i) => ("video_urls", (int?)i, u)));
        audios.AddRange(input.AudioUrls.Select((u, i) => ("audio_urls", (int?)i, u)));

        // Like a model, every input is fetched before generation starts; all failures are reported together.
        var errors = new List<FalErrorDetail>();
        var fetchedImages = new List<FetchedInput>();
        foreach (var (kind, list) in new[] { (InputKind.Image, images), (InputKind.Video, videos), (InputKind.Audio, audios) })
        {
            foreach (var (field, index, url) in list)
            {
                IReadOnlyList<object> loc = index is { } i ? ["body", field, i] : ["body", field];
                var (fetched, error) = await inputFetcher.FetchAsync(url, loc, kind, workDirectory, request, cancellationToken);
                if (error is not null)
                {
                    errors.Add(error);
                }
                else if (kind == InputKind.Image && fetched is not null)
                {
                    fetchedImages.Add(fetched);
                }
            }
        }

        if (errors.Count > 0)
        {
            return (ValidationFailure(errors), null);
        }

        var seconds = VideoGeometry.ResolveDurationSeconds(input.Duration);
        request.Log($"Generating {seconds} s of video at {input.Resolution}", time.GetUtcNow());
        var prompt = input.Prompt;
        FaultPlan.ExtractFromPrompt(prompt, out prompt);
        var spec = new RenderSpec(input.Mode, prompt, input.Duration, input.Resolution, input.AspectRatio, input.GenerateAudio,
            fetchedImages.FirstOrDefault()?.Path,
            input.EndImageUrl is null ? null : fetchedImages.ElementAtOrDefault(1)?.Path);
        var video = await renderer.RenderAsync(spec, cancellationToken);

        if (request.Faults.Result == ResultFault.Error)
        {
            return (ModelFailure(request.Faults.ResultErrorStatus), null);
        }

        var seed = input.Seed ?? RandomNumberGenerator.GetInt32(int.MaxValue);
        const string fileName = "output.mp4";
        var output = new JsonObject
        {
            ["video"] = new JsonObject
            {
                ["url"] = $"{mediaBaseUrl}/files/{request.RequestId}/{fileName}",
                ["content_type"] = "video/mp4",
                ["file_name"] = fileName,
                ["file_size"] = Math.Max(video.Length, request.Faults.FileBytes),
            },
            ["seed"] = seed,
        };
        return (new RequestOutcome(200, output), video.Path);
    }

    /// <summary>fal's 422: the request was accepted, then the model refused its input.</summary>
    public static RequestOutcome ValidationFailure(IEnumerable<FalErrorDetail> errors) =>
        new(422, FalErrorDetail.Body(errors));

    /// <summary>A model that fails after accepting the request, with the error type fal documents for that status.</summary>
    public static RequestOutcome ModelFailure(int status)
    {
        var (type, msg) = status switch
        {
            422 => ("content_policy_violation",
                "The content could not be processed because it contained material flagged by a content checker."),
            504 => ("generation_timeout", "Generation timeout"),
            400 => ("downstream_service_error", "Downstream service error"),
            _ => ("internal_server_error", "Internal server error"),
        };
        return new RequestOutcome(status, FalErrorDetail.Body([FalErrorDetail.Create(["body"], type, msg)]));
    }
}
