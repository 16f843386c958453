using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.UnitTests.Hardening;
using Moq;
using Pipeline.Core.Activities;
using Pipeline.Core.Api;
using Pipeline.Core.Events;
using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Options;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;
using Pipeline.Core.Inbox;
using Pipeline.Core.Webhooks;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Pipeline.UnitTests.Activities;

/// <summary>The seams of the job's activities, as Moq mocks (no storage account, fal or Event Grid is reached).</summary>
internal sealed class ActivityMocks
{
    public static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public static readonly FalSubmitResult Accepted = new(
        "fal-req-0001", null,
        new Uri("https://queue.fal.run/bytedance/seedance-2.0/requests/fal-req-0001/status"),
        new Uri("https://queue.fal.run/bytedance/seedance-2.0/requests/fal-req-0001"),
        new Uri("https://queue.fal.run/bytedance/seedance-2.0/requests/fal-req-0001/cancel"),
        2);

    public static readonly JobSource Drop = new(JobSourceKind.Inbox, "inbox", "trips/photo.jpg", "0x8DC1");

    public ActivityMocks()
    {
        var options = MsOptions.Create(new PipelineOptions { PublicBaseUrl = new Uri("https://app.example.com") });
        var storage = new PipelineStorage(new BlobServiceClient("UseDevelopmentStorage=true"));
        Options = options;
        Inbox = new Mock<InboxReader>(
            storage,
            new InboxPresets(storage),
            options,
            Microsoft.Extensions.Options.Options.Create(new Pipeline.Core.Callbacks.CallbackOptions()),
            Time,
            new Pipeline.Core.Inbox.PendingManifests(storage));
        Inputs = new Mock<FalInputResolver>(storage, new BlobUrlSigner(storage, Time), options);
        Inputs.Setup(i => i.ToFalInputAsync(It.IsAny<VideoRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((VideoRequest r, CancellationToken _) => new System.Text.Json.Nodes.JsonObject { ["prompt"] = r.Prompt });
        Fal.Setup(f => f.SubmitAsync(
                It.IsAny<string>(),
                It.IsAny<System.Text.Json.Nodes.JsonObject>(),
                It.IsAny<Uri?>(),
                It.IsAny<bool>(),
                It.IsAny<CancellationToken>()))
            .ReturnsAsync(Accepted);
        var costs = MsOptions.Create(new Pipeline.Core.Costs.CostOptions());
        Slots = new Mock<Pipeline.Core.Costs.ConcurrencySlots>(storage, costs, Time);
        Submits = new InMemorySubmitLedger(Time);
        Admission = new Mock<Pipeline.Core.Costs.JobAdmission>(
            new Pipeline.Core.Costs.PriceTable(costs),
            new Mock<Pipeline.Core.Costs.UsageLedger>(storage, costs).Object,
            Slots.Object,
            Submits,
            new Mock<OpenJobs>(storage).Object);
        Admission.Setup(a => a.AdmitAsync(
                It.IsAny<string>(),
                It.IsAny<DateTimeOffset>(),
                It.IsAny<VideoMode>(),
                It.IsAny<VideoRequest>(),
                It.IsAny<CancellationToken>()))
            .ReturnsAsync(new Pipeline.Core.Costs.Admission(Cost, null, true));
        Publisher = new Mock<JobEventPublisher>(null!, options, NullLogger<JobEventPublisher>.Instance);
        Publisher.Setup(p => p.PublishAsync(It.IsAny<JobEvent>(), It.IsAny<CancellationToken>()))
            .Callback((JobEvent e, CancellationToken _) => Published.Add(e))
            .Returns(Task.CompletedTask);
        // The real outbox's delivery path over the mocked publisher; what it keeps stays in memory (no storage here).
        Outbox = new Mock<EventOutbox>(
            storage, Publisher.Object, MsOptions.Create(new EventGridOptions()), Time, NullLogger<EventOutbox>.Instance);
        Outbox.Setup(o => o.AnnounceAsync(It.IsAny<JobEvent>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .Returns(async (JobEvent e, bool behind, CancellationToken token) =>
            {
                if (!behind)
                {
                    try
                    {
                        await Publisher.Object.PublishAsync(e, token);
                        return AnnounceOutcome.Delivered;
                    }
                    catch (Exception) when (!KeepFails)
                    {
                    }
                }

                if (KeepFails)
                {
                    throw new Azure.RequestFailedException(503, "storage is away");
                }

                Kept.Add(e);
                return AnnounceOutcome.Kept;
            });
    }

    /// <summary>Every drop's video gets its plain name, unless a test says otherwise.</summary>
    public Mock<Pipeline.Core.Inbox.OutputNames> Outputs { get; } = NewOutputs();

    private static Mock<Pipeline.Core.Inbox.OutputNames> NewOutputs()
    {
        var outputs = new Mock<Pipeline.Core.Inbox.OutputNames>(new PipelineStorage(new BlobServiceClient("UseDevelopmentStorage=true")));
        outputs.Setup(o => o.ForDropAsync(
                It.IsAny<string>(), It.IsAny<string>(), It.IsAny<int>(), It.IsAny<int>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string _, string name, int variant, int variants, CancellationToken _) =>
                Variants.OutputName(InboxReader.OutputBlobFor(name), variant, variants));
        return outputs;
    }

    /// <summary>Photos go to fal as they are, unless a test says otherwise.</summary>
    public Mock<Pipeline.Core.Inbox.InboxPhotos> Photos { get; } = NewPhotos();

    private static Mock<Pipeline.Core.Inbox.InboxPhotos> NewPhotos()
    {
        var photos = new Mock<Pipeline.Core.Inbox.InboxPhotos>(new PipelineStorage(new BlobServiceClient("UseDevelopmentStorage=true")),
            new Pipeline.Core.Inbox.PhotoNormalizer(), MsOptions.Create(new PipelineOptions()));
        photos.Setup(p => p.UprightAsync(It.IsAny<string>(), It.IsAny<VideoRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string _, VideoRequest request, CancellationToken _) => request);
        return photos;
    }

    /// <summary>The submit step over these seams (<paramref name="ledger"/>: another submit ledger than <see cref="Submits"/>).</summary>
    public SubmitToFalActivity SubmitActivity(Pipeline.Core.Submits.SubmitLedger? ledger = null) =>
        new(
            Fal.Object,
            Inbox.Object,
            Inputs.Object,
            new WebhookUrls(Options, Tokens),
            Admission.Object,
            ledger ?? Submits,
            Finder.Object,
            Gate,
            Uses.Object,
            Outputs.Object,
            Photos.Object,
            Announcer,
            Time,
            NullLogger<SubmitToFalActivity>.Instance);

    /// <summary>Who uses an inbox image: its own job, unless a test says a manifest does.</summary>
    public Mock<Pipeline.Core.Inbox.ImageUses> Uses { get; } = NewUses();

    private static Mock<Pipeline.Core.Inbox.ImageUses> NewUses()
    {
        var uses = new Mock<Pipeline.Core.Inbox.ImageUses>(new PipelineStorage(new BlobServiceClient("UseDevelopmentStorage=true")));
        uses.Setup(u => u.ClaimForDropAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((true, (string?)null));
        return uses;
    }

    /// <summary>The outbox over the mocked publisher: events it could not deliver are in <see cref="Kept"/>.</summary>
    public Mock<EventOutbox> Outbox { get; }

    public List<JobEvent> Kept { get; } = [];

    /// <summary>Keeping an event fails too (storage away).</summary>
    public bool KeepFails { get; set; }

    public TestLifetime Lifetime { get; } = new();

    public Pipeline.Core.Submits.SubmitGate Gate => _gate ??= new(Lifetime, NullLogger<Pipeline.Core.Submits.SubmitGate>.Instance);

    private Pipeline.Core.Submits.SubmitGate? _gate;

    public Mock<Pipeline.Core.Submits.SubmitFinder> Finder => _finder ??= NewFinder();

    private Mock<Pipeline.Core.Submits.SubmitFinder>? _finder;

    private Mock<Pipeline.Core.Submits.SubmitFinder> NewFinder()
    {
        var finder = new Mock<Pipeline.Core.Submits.SubmitFinder>(Submits, Fal.Object, MsOptions.Create(new FalQueueClientOptions()), Time,
            NullLogger<Pipeline.Core.Submits.SubmitFinder>.Instance) { CallBase = true };
        return finder;
    }

    /// <summary>A host lifetime a test can stop.</summary>
    public sealed class TestLifetime : Microsoft.Extensions.Hosting.IHostApplicationLifetime, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => _stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stopping.Cancel();

        public void Dispose() => _stopping.Dispose();
    }

    public FakeTimeProvider Time { get; } = new(Now);

    public Microsoft.Extensions.Options.IOptions<PipelineOptions> Options { get; }

    public WebhookToken Tokens { get; } = new(
        MsOptions.Create(new FalWebhookOptions { UrlSecret = "test-webhook-secret" }),
        MsOptions.Create(new FalQueueClientOptions()));

    public Mock<FalQueueClient> Fal { get; } = new();

    public Mock<InboxReader> Inbox { get; }

    public Mock<FalInputResolver> Inputs { get; }

    public Mock<JobEventPublisher> Publisher { get; }

    public Mock<Pipeline.Core.Costs.ConcurrencySlots> Slots { get; }

    public Mock<Pipeline.Core.Costs.JobAdmission> Admission { get; }

    public InMemorySubmitLedger Submits { get; }

    public static readonly Pipeline.Core.Jobs.JobCost Cost = new(4, 0.4304m);

    public List<JobEvent> Published { get; } = [];

    public JobAnnouncer Announcer => new(Outbox.Object, NullLogger<JobAnnouncer>.Instance);

    /// <summary>An event as the orchestration plans it, before the activity completes it.</summary>
    public static JobEvent Planned(string type) => new(
        type,
        "videos/trips/photo.mp4",
        Now.AddMinutes(-1),
        new JobEventData(
            "inbox-1",
            VideoMode.ImageToVideo,
            "inbox/trips/photo.jpg",
            null,
            null,
            null,
            null,
            new JobTimeline(Now.AddMinutes(-2), null, null, null)));
}
