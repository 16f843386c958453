using Azure;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Pipeline.Core.Api;
using Pipeline.Core.Costs;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;
using Pipeline.Core.Batches;

namespace Pipeline.Core.Inbox;

/// <summary>
/// A manifest dropped in the inbox (<c>shop/products.csv</c>): every row is read and validated as a lone request in
/// the manifest's folder before anything is billed; then each valid row (times its variants) starts a job whose video
/// goes to <c>videos/shop/products/{row name}.mp4</c>, with <c>results.csv</c> beside them, written now and rewritten
/// as jobs end. With invalid rows the manifest is refused whole (a marker lists every row's errors) or, with
/// <see cref="ManifestInvalidRows.Skip"/>, runs the rest. The batch and its jobs are named by the manifest's path and
/// bytes, so the same bytes dropped again start nothing new. Spending caps apply to each job as it starts.
/// </summary>
public partial class ManifestJobStarter(
    PipelineStorage storage,
    InboxReader inbox,
    InboxPresets presets,
    JobScheduler scheduler,
    BatchLedger batches,
    VideoStore videos,
    PriceTable prices,
    UsageLedger usage,
    IOptions<PipelineOptions> options,
    Inbox.OutputNames outputs,
    Inbox.ImageUses uses,
    Inbox.PendingManifests pending,
    ILogger<ManifestJobStarter> logger)
{
    /// <summary>The optional column or field that names a row's video (<c>row-0001</c> otherwise).</summary>
    public const string NameField = "name";

    /// <summary>Most jobs one manifest may start, variants counted: every one is started while the drop is handled.</summary>
    public const int MaxJobs = ManifestReader.MaxRows;

    /// <param name="droppedAt">When the manifest arrived: a manifest whose rows name files not there yet waits for them
    /// <see cref="PipelineOptions.LoneRequestWait"/> from then (<see cref="Inbox.ManifestWaitingException"/>: the trigger
    /// hands the drop over again), then runs or is refused as its rows are.</param>
    /// <returns>The batch id, or null when the manifest was refused.</returns>
    public virtual async Task<string?> StartAsync(
        DurableTaskClient client, string container, string name, ETag etag, DateTimeOffset droppedAt, CancellationToken cancellationToken)
    {
        var source = $"{container}/{name}";
        var marker = InboxReader.OutputBlobFor(name); // shop/products.csv → shop/products.mp4 → shop/products.error.json
        ManifestRead read;
        using (var download = (await storage.Blob(container, name).DownloadStreamingAsync(cancellationToken: cancellationToken)).Value)
        {
            read = await ManifestReader.ReadAsync(download.Content, name, cancellationToken);
        }

        if (read is not ManifestRead.Rows rows)
        {
            return await RefuseAsync(source, marker, ((ManifestRead.Refused)read).Problem, [], cancellationToken);
        }

        var folder = marker[..^".mp4".Length]; // the batch's own folder in videos/
        var (defaults, presetProblem) = await presets.ForAsync(container, name, cancellationToken); // once for every row
        if (presetProblem is not null)
        {
            return await RefuseAsync(source, marker, presetProblem, [], cancellationToken);
        }

        var (ready, refused) = await ValidateAsync(container, name, rows.Items, defaults, cancellationToken);
        if (refused.Count > 0 && OnlyFilesMissing(refused) && scheduler.Now - droppedAt < options.Value.LoneRequestWait)
        {
            await pending.WaitAsync(container, name, cancellationToken); // photos dropped in its folder meanwhile wait for it
            throw new Inbox.ManifestWaitingException(
                $"{source} names files that are not in the inbox yet; it is read again when they may be");
        }

        await pending.DoneAsync(container, name, cancellationToken);
        if (refused.Count > 0 && (options.Value.ManifestInvalidRows == ManifestInvalidRows.Refuse || ready.Count == 0))
        {
            return await RefuseAsync(
                source, marker, $"{refused.Count} of {rows.Items.Count} rows are invalid; nothing was started", refused, cancellationToken);
        }

        if (ready.Sum(r => r.Job.Variants) is var jobs && jobs > MaxJobs)
        {
            return await RefuseAsync(
                source,
                marker,
                $"the rows ask for {jobs} jobs with their variants; a manifest may start at most {MaxJobs}: split it",
                [],
                cancellationToken);
        }

        var batch = BatchIds.ForManifest(container, name, rows.Sha256);
        await batches.EnsureAsync(
            new BatchRecord(batch.Id, batch.Kind, batch.Name, scheduler.Now, rows.Items.Count, refused, $"{folder}/results.csv"),
            cancellationToken);
        await storage.Videos.DeleteBlobIfExistsAsync(
            VideoStore.ErrorMarkerName(marker), cancellationToken: cancellationToken); // an earlier refusal
        var started = 0;
        foreach (var row in ready)
        {
            started += await StartRowAsync(
                client,
                new JobSource(JobSourceKind.Inbox, container, name, etag.ToString()),
                batch with { Row = row.Row },
                folder,
                row,
                cancellationToken);
        }

        await batches.WriteResultsAsync(batch.Id, cancellationToken);
        if (started > 0)
        {
            LogStarted(source, started, refused.Count, batch.Id);
        }
        else
        {
            LogNothingNew(source, batch.Id); // a restart's rescan, or the same bytes dropped again
        }
        return batch.Id;
    }

    /// <summary>Every refused row is refused only for files it names that are not in the inbox (yet).</summary>
    private static bool OnlyFilesMissing(IReadOnlyList<RefusedRow> refused) =>
        refused.All(r => r.Errors.Count > 0
            && r.Errors.Values.All(messages => messages.All(m => m.EndsWith(InboxReader.NotInTheInbox, StringComparison.Ordinal))));

    /// <summary>A valid row, its request and its video's name.</summary>
    private sealed record ReadyRow(int Row, string VideoName, PreparedJob.Ready Job);

    private async Task<(List<ReadyRow> Ready, List<RefusedRow> Refused)> ValidateAsync(
        string container,
        string name,
        IReadOnlyList<ManifestRow> rows,
        System.Text.Json.Nodes.JsonObject presetDefaults,
        CancellationToken cancellationToken)
    {
        var (ready, refused) = (new List<ReadyRow>(), new List<RefusedRow>());
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var row in rows)
        {
            if (row.Fields is not { } fields)
            {
                refused.Add(new RefusedRow(row.Row, Errors("row", row.Problem!)));
                continue;
            }

            fields = (System.Text.Json.Nodes.JsonObject)fields.DeepClone();
            var (videoName, nameProblem) = VideoNameOf(fields, row.Row);
            if (nameProblem is null && !names.Add(videoName))
            {
                nameProblem = $"'{videoName}' is the name of an earlier row's video";
            }

            var prepared = await inbox.PrepareRowAsync(container, name, fields, presetDefaults, cancellationToken);
            if (prepared is PreparedJob.Ready job && nameProblem is null)
            {
                ready.Add(new ReadyRow(row.Row, videoName, job));
                continue;
            }

            var errors = prepared is PreparedJob.Invalid invalid
                ? new Dictionary<string, string[]>(invalid.Errors ?? Errors("row", invalid.Problem))
                : [];
            if (nameProblem is not null)
            {
                errors[NameField] = [nameProblem];
            }

            refused.Add(new RefusedRow(row.Row, errors));
        }

        return (ready, refused);
    }

    /// <summary>Starts a row's jobs (one per variant); each is admitted against the caps as it starts. Returns how many started.</summary>
    private async Task<int> StartRowAsync(
        DurableTaskClient client, JobSource source, JobBatch batch, string folder, ReadyRow row, CancellationToken cancellationToken)
    {
        var started = 0;
        var first = JobIds.ForManifestRow(batch.Id, row.Row);
        if (await ImageWithItsOwnJobAsync(source.ToString(), row, cancellationToken) is { } image)
        {
            // The image went to fal as a drop of its own before the manifest came: its video stands for the row, unbilled twice.
            var video = await outputs.ForDropAsync(image.Container, image.Name, 1, 1, cancellationToken);
            var superseded = new BatchJobEnd(
                JobId: first,
                Batch: batch,
                Variant: null,
                Status: "superseded",
                Video: $"{PipelineStorage.VideosContainerName}/{video}",
                Seed: null,
                CostUsd: 0)
            {
                ErrorCode = "image_has_its_own_job",
                ErrorMessage = $"{image.Name} was dropped alone before this manifest came and has its own video",
            };
            await batches.RecordEndAsync(superseded, cancellationToken);
            return 0;
        }

        var of = row.Job.Variants;
        for (var index = 1; index <= of; index++)
        {
            var id = JobIds.ForVariant(first, index);
            var request = row.Job.Request with { Seed = Variants.SeedOf(row.Job.Request.Seed, first, index, of) };
            var now = scheduler.Now;
            var output = await outputs.ForRowAsync(source.ToString(), folder, row.VideoName, row.Row, index, of, cancellationToken);
            var job = new VideoJob(
                Id: id,
                Mode: row.Job.Mode,
                Request: request,
                Source: source,
                OutputBlob: output,
                Timings: scheduler.Timings,
                CreatedAt: now)
            {
                Correlation = row.Job.Correlation,
                Batch = batch,
                Variant = of > 1 ? new JobVariant(index, of) : null,
                Callback = row.Job.Callback,
            };
            var start = await scheduler.StartAsync(client, job, cancellationToken,
                token => usage.TryReserveAsync(
                    UsageLedger.DayOf(now), id, request.EndUserId, prices.Estimate(row.Job.Mode, request), token));
            if (start is JobStart.Refused refusal)
            {
                var refused = new BatchJobEnd(
                    JobId: id, Batch: batch, Variant: job.Variant, Status: "refused", Video: null, Seed: null, CostUsd: 0)
                {
                    ErrorCode = "budget_exceeded",
                    ErrorMessage = refusal.Refusal.Message,
                };
                await batches.RecordEndAsync(refused, cancellationToken);
            }
            else if (start is JobStart.Started)
            {
                started++;
            }
        }

        return started;
    }

    /// <summary>
    /// Marks every inbox file the row names as the manifest's (their own jobs, if they come later, yield to it); returns the
    /// row's image when that image's own job already holds it.
    /// </summary>
    private async Task<BlobReference?> ImageWithItsOwnJobAsync(string manifest, ReadyRow row, CancellationToken cancellationToken)
    {
        BlobReference? taken = null;
        foreach (var (field, url) in row.Job.Request.Urls())
        {
            if (BlobReference.TryParse(url, out var file)
                && await uses.UsedByItsOwnJobAsync(file.Container, file.Name, manifest, cancellationToken)
                && field == "image_url")
            {
                taken = file;
            }
        }

        return taken;
    }

    /// <summary>The row's <c>name</c> (taken out of its fields), or <c>row-0001</c>: one file name, no folders.</summary>
    private static (string Name, string? Problem) VideoNameOf(System.Text.Json.Nodes.JsonObject fields, int row)
    {
        var fallback = $"row-{row:D4}";
        if (!fields.Remove(NameField, out var node) || node is null)
        {
            return (fallback, null);
        }

        var name = node.GetValueKind() == System.Text.Json.JsonValueKind.String ? node.GetValue<string>().Trim() : "";
        if (name.EndsWith(".mp4", StringComparison.OrdinalIgnoreCase))
        {
            name = name[..^4];
        }

        return name.Length is 0 or > 200 || name.Contains('/') || InboxNames.Problem(name) is not null || name.StartsWith('.')
            ? (fallback, "must be a file name of 1 to 200 characters, without folders")
            : (name, null);
    }

    private async Task<string?> RefuseAsync(
        string source, string marker, string problem, IReadOnlyList<RefusedRow> rows, CancellationToken cancellationToken)
    {
        LogRefused(source, problem);
        await videos.WriteRefusalAsync(source, marker, new JobError("invalid_manifest", problem), cancellationToken, rows);
        return null;
    }

    private static Dictionary<string, string[]> Errors(string field, string problem) => new() { [field] = [problem] };

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Manifest {Source}: {Started} jobs started, {Refused} rows refused (batch {BatchId})")]
    private partial void LogStarted(string source, int started, int refused, string batchId);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Manifest {Source}: its jobs exist already (batch {BatchId}); nothing started or sent again")]
    private partial void LogNothingNew(string source, string batchId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Manifest {Source} refused: {Problem}")]
    private partial void LogRefused(string source, string problem);
}
