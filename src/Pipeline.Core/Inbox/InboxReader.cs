using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Microsoft.Extensions.Options;
using Pipeline.Core.Activities;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Inbox;

/// <summary>
/// Reads what a drop into the inbox asks for. An image (<c>.jpg .jpeg .png .webp .heic .heif</c>, any case) becomes an
/// image-to-video job whose
/// prompt and options come from its sidecar (<c>photo.json</c> beside <c>photo.jpg</c>: the seed's fields plus
/// <c>mode</c>, <c>end_image</c> and <c>images/videos/audios</c> as names relative to the drop's folder), else from the
/// blob's metadata, else the default prompt. A <c>.json</c> alone starts a text-to-video or reference-to-video job; a
/// <c>.json</c> whose image is there too is that image's sidecar and starts nothing itself. What a drop does not say
/// comes from the folder presets above it (<see cref="InboxPresets"/>); files it names may also be URLs.
/// </summary>
public partial class InboxReader(
    PipelineStorage storage,
    InboxPresets presets,
    IOptions<PipelineOptions> options,
    IOptions<Callbacks.CallbackOptions> callbacks,
    TimeProvider time,
    Inbox.PendingManifests pendingManifests)
{
    /// <summary>How a field says the file it names is missing (a manifest waits for such files a while).</summary>
    public const string NotInTheInbox = "is not in the inbox";

    /// <summary>Sidecar fields that are not the model's: they name inbox files or the mode.</summary>
    private static readonly string[] SidecarOnlyFields = ["mode", "image", "end_image", "images", "videos", "audios"];

    /// <summary>Blob metadata <c>correlation_order=42</c> is the correlation entry <c>order</c>.</summary>
    private const string CorrelationMetadataPrefix = "correlation_";

    /// <summary>Metadata names a dropped image may carry instead of a sidecar (blob metadata is lower-case, string-valued).</summary>
    private static readonly string[] MetadataFields =
        ["prompt", "resolution", "duration", "aspect_ratio", "generate_audio", "seed", "end_user_id", "mode", Variants.Field];

    /// <summary>
    /// A photo the inbox takes by its name (<c>.jpg .jpeg .png .webp .heic .heif</c>, any case): HEIC goes to fal as an
    /// upright JPEG copy.
    /// </summary>
    public static bool IsImage(string name) => Inbox.PhotoFormats.IsPhoto(name);

    /// <summary>A <c>.json</c> request or sidecar (a folder preset is not one).</summary>
    public static bool IsSidecar(string name) =>
        Path.GetExtension(name).Equals(".json", StringComparison.OrdinalIgnoreCase) && !InboxPresets.IsPreset(name);

    /// <summary>
    /// <c>trips/photo.jpg</c> → <c>trips/photo.mp4</c> in the videos container. The name is normalised first: no empty,
    /// <c>.</c> or <c>..</c> segments, no backslashes or control characters, so no output lands outside its folder.
    /// </summary>
    public static string OutputBlobFor(string name) => Stem(NormaliseName(name)) + ".mp4";

    public static string NormaliseName(string name)
    {
        var parts = name.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => p is not "." and not "..")
            .Select(p => new string([.. p.Select(c => char.IsControl(c) ? '_' : c)]));
        var normal = string.Join('/', parts);
        return normal.Length == 0 ? "_" : normal;
    }

    /// <summary>
    /// Reads the drop into a request. Timing rules, so that a sidecar is never billed as a job of its own and an image
    /// is not kept waiting for a sidecar it does not have: a lone <c>.json</c> waits
    /// <see cref="PipelineOptions.LoneRequestWait"/> from its job's creation for an image of its name (then it is that
    /// image's sidecar), unless its <c>mode</c> is <c>text-to-video</c>, which no image can have; an image without its
    /// sidecar waits <see cref="PipelineOptions.SidecarGrace"/> only in a folder where sidecars have been dropped and
    /// when it carries no <c>prompt</c> metadata.
    /// </summary>
    /// <param name="createdAt">When the drop's job was created (about when the blob arrived).</param>
    /// <param name="companionWaited">The job already waited once for the drop's companion: decide now.</param>
    /// <param name="variant">Which of the drop's variants the job is (null: the only one).</param>
    public virtual async Task<PreparedJob> PrepareAsync(
        JobSource source,
        DateTimeOffset createdAt,
        bool companionWaited,
        CancellationToken cancellationToken,
        JobVariant? variant = null) =>
        ForVariant(await PrepareDropAsync(source, createdAt, companionWaited, cancellationToken), source, variant);

    /// <summary>What the drop asks for, before variants.</summary>
    private async Task<PreparedJob> PrepareDropAsync(
        JobSource source, DateTimeOffset createdAt, bool companionWaited, CancellationToken cancellationToken)
    {
        var container = source.Container ?? PipelineStorage.InboxContainerName;
        var name = source.BlobName ?? throw new ArgumentException("an inbox job names its blob", nameof(source));
        var dropped = storage.Blob(container, name);
        IDictionary<string, string> metadata;
        try
        {
            metadata = (await dropped.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.Metadata;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return Problem(VideoMode.ImageToVideo, $"{name} was deleted before its job could read it");
        }

        if (IsSidecar(name))
        {
            if (await ImageOfAsync(container, name, cancellationToken) is not null)
            {
                return new PreparedJob.Superseded();
            }

            var (json, jsonProblem) = await InboxJson.ReadAsync(storage, container, name, cancellationToken);
            if (jsonProblem is not null)
            {
                return Problem(VideoMode.TextToVideo, jsonProblem);
            }

            var textOnly = json!["mode"]?.GetValueKind() == JsonValueKind.String
                && VideoModes.TryParse(json["mode"]!.GetValue<string>(), out var declared) && declared == VideoMode.TextToVideo;
            if (!textOnly && !companionWaited && Remaining(options.Value.LoneRequestWait, createdAt) is { } wait)
            {
                return new PreparedJob.WaitForCompanion(VideoMode.TextToVideo, wait);
            }

            return await WithPresetsAsync(container, name, json!, image: null, cancellationToken);
        }

        if (!IsImage(name))
        {
            return Problem(
                VideoMode.ImageToVideo, $"{name}: only .jpg, .jpeg, .png, .webp, .heic and .heif photos, or a .json request, start a job");
        }

        var (sidecar, problem) = await SidecarNameOfAsync(container, name, cancellationToken) is { } sidecarName
            ? await InboxJson.ReadAsync(storage, container, sidecarName, cancellationToken)
            : (null, null);
        if (problem is not null)
        {
            return Problem(VideoMode.ImageToVideo, problem);
        }

        if (sidecar is null && !companionWaited && !metadata.ContainsKey("prompt")
            && Remaining(options.Value.SidecarGrace, createdAt) is { } grace && await UsesSidecarsAsync(container, name, cancellationToken))
        {
            return new PreparedJob.WaitForCompanion(VideoMode.ImageToVideo, grace);
        }

        if (!companionWaited && Remaining(options.Value.LoneRequestWait, createdAt) is { } manifestWait
            && await pendingManifests.InFolderOfAsync(container, name, cancellationToken))
        {
            return new PreparedJob.WaitForCompanion(VideoMode.ImageToVideo, manifestWait); // a manifest here may name this photo
        }

        var body = sidecar ?? [];
        foreach (var field in MetadataFields)
        {
            if (!body.ContainsKey(field) && metadata.TryGetValue(field, out var value))
            {
                body[field] = MetadataValue(field, value);
            }
        }

        var tagged = metadata.Where(m => m.Key.StartsWith(CorrelationMetadataPrefix, StringComparison.OrdinalIgnoreCase)).ToList();
        if (!body.ContainsKey(Correlation.Field) && tagged.Count > 0)
        {
            body[Correlation.Field] = new JsonObject(tagged.Select(m =>
                KeyValuePair.Create(
                    m.Key[CorrelationMetadataPrefix.Length..].ToLowerInvariant(), (JsonNode?)Uri.UnescapeDataString(m.Value))));
        }

        return await WithPresetsAsync(container, name, body, image: name, cancellationToken);
    }

    /// <summary>
    /// One row of a manifest, as a request: like a lone <c>.json</c> dropped in the manifest's folder (the folder's
    /// presets, read once for all rows, apply; files are named relative to it or by URL), except that a row may name
    /// its image itself.
    /// </summary>
    public virtual Task<PreparedJob> PrepareRowAsync(
        string container, string manifestName, JsonObject row, JsonObject presetDefaults, CancellationToken cancellationToken) =>
        WithDefaultsAsync(container, manifestName, row, presetDefaults, image: null, cancellationToken);

    /// <summary>
    /// What a drop asks of the pipeline itself, read as it lands (its jobs are started now): how many variants, and
    /// where its events go — from its sidecar, else its metadata, else its presets. Wrong values count as absent here:
    /// the job's preparation names them.
    /// </summary>
    /// <param name="metadata">The drop's blob metadata, as the caller already read it.</param>
    public virtual async Task<DropIntent> IntentOfAsync(
        string container, string name, IDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var own = IsSidecar(name) ? name : await SidecarNameOfAsync(container, name, cancellationToken);
        var (json, _) = own is null ? (null, null) : await InboxJson.ReadAsync(storage, container, own, cancellationToken);
        var fields = json ?? [];
        if (!fields.ContainsKey(Variants.Field) && metadata.TryGetValue(Variants.Field, out var value))
        {
            fields[Variants.Field] = value;
        }

        var (defaults, _) = await presets.ForAsync(container, name, cancellationToken);
        InboxPresets.Apply(defaults, fields);
        var callback = Callbacks.JobCallback.Split((JsonObject)fields.DeepClone(), callbacks.Value, new ValidationErrors());
        return new DropIntent(Variants.Peek(fields), callback);
    }

    private async Task<PreparedJob> WithPresetsAsync(
        string container, string name, JsonObject body, string? image, CancellationToken cancellationToken)
    {
        var (defaults, problem) = await presets.ForAsync(container, name, cancellationToken);
        return problem is not null
            ? Problem(image is null ? VideoMode.TextToVideo : VideoMode.ImageToVideo, problem)
            : await WithDefaultsAsync(container, name, body, defaults, image, cancellationToken);
    }

    private async Task<PreparedJob> WithDefaultsAsync(
        string container, string name, JsonObject body, JsonObject defaults, string? image, CancellationToken cancellationToken)
    {
        InboxPresets.Apply(defaults, body);
        if (!body.ContainsKey("prompt"))
        {
            body["prompt"] = options.Value.DefaultPrompt;
        }

        return await BuildAsync(container, name, body, image, cancellationToken);
    }

    /// <summary>Variant k of a drop: its own seed, or no job when the drop now asks for fewer than k.</summary>
    private static PreparedJob ForVariant(PreparedJob prepared, JobSource source, JobVariant? variant)
    {
        if (variant is null || prepared is not PreparedJob.Ready ready)
        {
            return prepared;
        }

        if (variant.Index > ready.Variants)
        {
            return Problem(
                ready.Mode, $"variant {variant.Index} of {variant.Of} is no longer asked for: the drop now asks for {ready.Variants}");
        }

        var first = JobIds.ForBlob(source.Container ?? PipelineStorage.InboxContainerName, source.BlobName!, source.ETag ?? "");
        var seed = Variants.SeedOf(ready.Request.Seed, first, variant.Index, Math.Max(variant.Of, ready.Variants));
        return ready with { Request = ready.Request with { Seed = seed } };
    }

    /// <summary>Remembers that sidecars are dropped in this .json's folder, so images there wait the grace for theirs.</summary>
    public virtual async Task MarkSidecarFolderAsync(string container, string sidecarName, CancellationToken cancellationToken) =>
        await storage.Jobs.GetBlobClient(SidecarFolderMarker(container, sidecarName))
            .UploadAsync(BinaryData.Empty, overwrite: true, cancellationToken);

    private async Task<bool> UsesSidecarsAsync(string container, string name, CancellationToken cancellationToken) =>
        await storage.Jobs.GetBlobClient(SidecarFolderMarker(container, name)).ExistsAsync(cancellationToken);

    /// <summary><c>jobs/sidecar-folders/{hash of container and folder}</c>: hashed, so any folder name makes a valid blob name.</summary>
    private static string SidecarFolderMarker(string container, string name) =>
        "sidecar-folders/" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{container}\n{Folder(NormaliseName(name))}")))[..32];

    /// <summary>What is left of <paramref name="wait"/> since <paramref name="since"/>; null when nothing is.</summary>
    private TimeSpan? Remaining(TimeSpan wait, DateTimeOffset since) =>
        since + wait - time.GetUtcNow() is var left && left > TimeSpan.Zero ? left : null;

    /// <summary>
    /// The image a sidecar belongs to (<c>IMG_0002.JPG</c> for <c>IMG_0002.json</c>: extensions in any case), with its
    /// ETag and metadata.
    /// </summary>
    public virtual async Task<(string Name, string ETag, IDictionary<string, string> Metadata)?> ImageOfAsync(
        string container, string sidecarName, CancellationToken cancellationToken) =>
        await CompanionAsync(container, sidecarName, IsImage, cancellationToken) is { } image
            ? (image.Name, image.Properties.ETag?.ToString() ?? "", image.Metadata ?? new Dictionary<string, string>())
            : null;

    /// <summary>The sidecar of an image (<c>photo.json</c>, <c>photo.JSON</c>…), or null when it has none.</summary>
    private async Task<string?> SidecarNameOfAsync(string container, string imageName, CancellationToken cancellationToken) =>
        (await CompanionAsync(container, imageName, IsSidecar, cancellationToken))?.Name;

    /// <summary>
    /// The blob beside <paramref name="name"/> with the same stem and an extension <paramref name="isCompanion"/> takes,
    /// in any case: one listing of the stem, since blob names are case-sensitive and cameras write <c>.JPG</c>.
    /// </summary>
    private async Task<Azure.Storage.Blobs.Models.BlobItem?> CompanionAsync(
        string container, string name, Func<string, bool> isCompanion, CancellationToken cancellationToken)
    {
        var stem = Stem(name);
        var items = storage.Service.GetBlobContainerClient(container).GetBlobsAsync(
            new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = stem + ".", Traits = Azure.Storage.Blobs.Models.BlobTraits.Metadata },
            cancellationToken);
        await foreach (var item in items)
        {
            var rest = item.Name[(stem.Length + 1)..];
            if (item.Name != name
                && !rest.Contains('.', StringComparison.Ordinal)
                && !rest.Contains('/', StringComparison.Ordinal)
                && isCompanion(item.Name))
            {
                return item;
            }
        }

        return null;
    }

    /// <summary><c>trips/2026/photo.jpg</c> → <c>trips/2026</c>; empty at the container's root.</summary>
    public static string FolderOf(string name) => Folder(NormaliseName(name));

    // Metadata is ASCII; a prompt may arrive percent-encoded.
    private static JsonNode? MetadataValue(string field, string value) => TextFieldValues.ToJson(field, Uri.UnescapeDataString(value));

    private static string Folder(string name) => name.LastIndexOf('/') is var slash and > 0 ? name[..slash] : "";

    private static string Stem(string name) => Path.HasExtension(name) ? name[..^Path.GetExtension(name).Length] : name;

    private static PreparedJob.Invalid Problem(VideoMode mode, string problem) => new PreparedJob.Invalid(mode, problem);

    private static PreparedJob.Invalid Invalid(VideoMode mode, ValidationErrors errors) =>
        new PreparedJob.Invalid(mode, errors.Describe(), errors);
}

/// <summary>What a drop asks of the pipeline itself when it lands: its number of variants and its callback.</summary>
public sealed record DropIntent(int Variants, Callbacks.JobCallback? Callback);
