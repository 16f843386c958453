using System.Text.Json;
using Pipeline.Core.Activities;
using Pipeline.Core.Api;
using Pipeline.Core.Batches;
using Pipeline.Core.Callbacks;
using Pipeline.Core.Contract;
using Pipeline.Core.Events;
using Pipeline.Core.Fal;
using Pipeline.Core.Jobs;
using Pipeline.Core.Requests;
using Pipeline.Core.Steps;
using Pipeline.Core.Submits;

namespace Pipeline.UnitTests.Contract;

/// <summary>
/// The JSON of the records that leave the process, pinned for a fully-populated instance under the options each
/// travels with: orchestration inputs and outputs and activity payloads (durable history of jobs in flight: the
/// Durable converter's default options, a Functions worker's camelCase, and <see cref="StepJson"/> in a step's
/// envelope), the submit records in storage, the API's views (and the schemas the contract publishes of them), and
/// the events' data. Each is also read back, and from what an older version wrote, its optional fields missing.
/// </summary>
public sealed class RecordJsonTests
{
    private static readonly JsonSerializerOptions Durable = JsonSerializerOptions.Default;

    private static readonly JsonSerializerOptions Worker = JsonSerializerOptions.Web;

    /// <summary>The HTTP API's (minimal API and Functions' ASP.NET Core integration alike), and <c>SubmitLedger</c>'s.</summary>
    private static readonly JsonSerializerOptions Web = JsonSerializerOptions.Web;

    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, string> Correlation = new() { ["order"] = "o-1" };

    private static readonly JobBatch Batch = new("b-1", BatchKind.Manifest, "inbox/shop/products.csv", 3);

    private static readonly JobVariant Variant = new(2, 4);

    private static readonly StoredVideo Video = new("jobs/j-1.mp4", "https://videos/j-1.mp4", "video/mp4", 1234);

    private static readonly JobError Error = new("fal_error", "it broke");

    private static readonly JobSource Drop = new(JobSourceKind.Inbox, "inbox", "trips/photo.jpg", "0x8DC1");

    private static readonly VideoRequest Request = new()
    {
        Prompt = "A lighthouse", Seed = 7, EndUserId = "u-1", ImageUrl = "blob://inbox/trips/photo.jpg",
    };

    private static readonly FalRequestRef Ref = new("r1", new Uri("https://queue.fal.run/a/b/requests/r1/status"),
        new Uri("https://queue.fal.run/a/b/requests/r1"), new Uri("https://queue.fal.run/a/b/requests/r1/cancel"));

    private static readonly JobEventData EventData = new(
        "j-1", VideoMode.ImageToVideo, "inbox/trips/photo.jpg", "r1", Video, 7, Error,
        new JobTimeline(T0, T0.AddMinutes(1), T0.AddMinutes(2), T0.AddMinutes(3)))
    {
        EndUserId = "u-1", Correlation = Correlation, VideoSeconds = 5, EstimatedCostUsd = 0.43m, Batch = Batch, Variant = Variant,
    };

    private static readonly JobEvent Event = new(JobEventTypes.Succeeded, "videos/trips/photo.mp4", T0, EventData);

    private static readonly BatchJobEnd BatchEnd = new("j-1", Batch, Variant, "failed", "videos/j-1.mp4", 7, 0.43m)
    {
        ErrorCode = "fal_error", ErrorMessage = "it broke",
    };

    private static readonly VideoJob Job = new(
        "j-1", VideoMode.ImageToVideo, Request, Drop, "trips/photo.mp4",
        new JobTimings(TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(5),
            TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), TimeSpan.FromHours(24)),
        T0)
    {
        Correlation = Correlation,
        RequestFingerprint = "fingerprint",
        TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        Batch = Batch,
        Variant = Variant,
        Callback = new JobCallback("https://hooks.example/x", ["succeeded"]),
    };

    private static readonly VideoJobResult Result = new(
        "j-1", VideoMode.ImageToVideo, JobOutcome.Succeeded, "r2", Video, 7, Error, T0.AddMinutes(1))
    {
        FalCompletedAt = T0.AddMinutes(2), FinishedAt = T0.AddMinutes(3),
        FalRequestIds = ["r1", "r2"], Cost = new JobCost(5, 0.43m), EndUserId = "u-1", Correlation = Correlation, Prompt = "A lighthouse",
    };

    private static readonly StoreVideoInput Store = new(
        "j-1", VideoMode.ImageToVideo, Drop, "r2", 7, "https://fal.media/v.mp4", "video/mp4", "trips/photo.mp4")
    {
        FileSize = 1234, Announcement = Event, EndUserId = "u-1", Correlation = Correlation, JobCreatedAt = T0, BatchEnd = BatchEnd,
        QueueEventBehind = true,
    };

    private static readonly SubmitToFalInput Submit = new(
        "j-1", VideoMode.ImageToVideo, Request, Drop, Event, T0)
    {
        Attempt = 2, CompanionWaited = true, Variant = Variant, Steps = 3, Ended = ["r1"],
    };

    private static readonly SubmitRecord Record = new(
        "j-1", 2, SubmitState.Accepted, T0, Ref, 3, T0.AddSeconds(1), Error)
    {
        Mode = VideoMode.ImageToVideo, Cost = new JobCost(5, 0.43m), EndUserId = "u-1", Correlation = Correlation,
        EndpointId = "bytedance/seedance-2.0/fast/image-to-video", InputFingerprint = "fp", OutputBlob = "trips/photo.mp4",
        Prompt = "A lighthouse",
    };

    private static readonly VideoJobView View = new(
        "j-1", VideoMode.ImageToVideo, VideoJobStatuses.Running, "storing", "inbox/trips/photo.jpg", "A lighthouse", "r2", 3)
    {
        Video = Video, Seed = 7, Error = Error, CreatedAt = T0, UpdatedAt = T0.AddMinutes(3),
        EndUserId = "u-1", Correlation = Correlation, VideoSeconds = 5, EstimatedCostUsd = 0.43m, FalRequestIds = ["r1", "r2"],
        Batch = Batch, Variant = Variant,
        Callback = new CallbackView("https://hooks.example", ["succeeded"],
            [new CallbackDelivery("j-1.submitted", JobEventTypes.Submitted, 2, 500, "no", T0, null)]),
        Retrying = new JobRetry("copy_video", 2, "timeout", T0.AddMinutes(4)),
        UndeliveredEvents = [new UndeliveredEvent("j-1.submitted", JobEventTypes.Submitted, 3, "down", T0.AddMinutes(5), false)],
    };

    /// <summary>Only what every view has: the optional fields are written as null, except the two left out.</summary>
    private static readonly VideoJobView BareView = new(
        "j-1", VideoMode.TextToVideo, VideoJobStatuses.Queued, null, "http", null, null, null)
    {
        Video = null, Seed = null, Error = null, CreatedAt = T0, UpdatedAt = T0,
    };

    /// <summary>Only what every event has: batch and variant are left out.</summary>
    private static readonly JobEventData BareEventData = new(
        "j-1", VideoMode.TextToVideo, "http", null, null, null, null, new JobTimeline(T0, null, null, null));

    private static readonly BatchProgress Progress = new("b-1", BatchKind.Manifest, "inbox/shop/products.csv", T0, 10, 5, 1, 1)
    {
        Remaining = 2, Refused = 1, Results = "videos/shop/products.results.jsonl", JobsUrl = "/api/videos?batch=b-1",
    };

    private static readonly Dictionary<string, (object Value, JsonSerializerOptions Options, string Json)> Payloads = new()
    {
        ["VideoJob, durable"] = (
            Job,
            Durable,
            """{"Id":"j-1","Mode":"image-to-video","Request":"""
            + """{"prompt":"A lighthouse","resolution":"720p","duration":"auto","aspect_ratio":"auto","generate_audio":"""
            + """true,"seed":7,"end_user_id":"u-1","image_url":"blob://inbox/trips/photo.jpg","image_urls":[],"video_urls":"""
            + """[],"audio_urls":[]},"Source":{"Kind":"inbox","Container":"inbox","BlobName":"trips/photo.jpg","ETag":"0x8DC1"}"""
            + ""","OutputBlob":"trips/photo.mp4","Timings":{"WebhookWait":"00:02:00","PollInterval":"00:00:30","Deadline":"00:"""
            + """30:00","SidecarGrace":"00:00:05","UnconfirmedSubmitWait":"00:10:00","SlotRetry":"00:00:10","FalUnavailableWait":"01:"""
            + """00:00","FalRetention":"1.00:00:00"},"CreatedAt":"2026-12-01T12:00:00+00:00","Correlation":{"order":"o-1"}"""
            + ""","RequestFingerprint":"fingerprint","TraceParent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","Batch":"""
            + """{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"Variant":{"index":2,"of":4},"Callback":"""
            + """{"url":"https://hooks.example/x","events":["succeeded"],"Origin":"https://hooks.example"}}"""),
        ["VideoJob, worker"] = (
            Job,
            Worker,
            """{"id":"j-1","mode":"image-to-video","request":"""
            + """{"prompt":"A lighthouse","resolution":"720p","duration":"auto","aspect_ratio":"auto","generate_audio":"""
            + """true,"seed":7,"end_user_id":"u-1","image_url":"blob://inbox/trips/photo.jpg","image_urls":[],"video_urls":"""
            + """[],"audio_urls":[]},"source":{"kind":"inbox","container":"inbox","blobName":"trips/photo.jpg","eTag":"0x8DC1"}"""
            + ""","outputBlob":"trips/photo.mp4","timings":{"webhookWait":"00:02:00","pollInterval":"00:00:30","deadline":"00:"""
            + """30:00","sidecarGrace":"00:00:05","unconfirmedSubmitWait":"00:10:00","slotRetry":"00:00:10","falUnavailableWait":"01:"""
            + """00:00","falRetention":"1.00:00:00"},"createdAt":"2026-12-01T12:00:00+00:00","correlation":{"order":"o-1"}"""
            + ""","requestFingerprint":"fingerprint","traceParent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","batch":"""
            + """{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"variant":{"index":2,"of":4},"callback":"""
            + """{"url":"https://hooks.example/x","events":["succeeded"],"origin":"https://hooks.example"}}"""),
        ["VideoJobResult, durable"] = (
            Result,
            Durable,
            """{"Id":"j-1","Mode":"image-to-video","Outcome":"succeeded","FalRequestId":"r2","Video":"""
            + """{"blob":"jobs/j-1.mp4","url":"https://videos/j-1.mp4","content_type":"video/mp4","size_bytes":1234},"Seed":7,"Error":"""
            + """{"code":"fal_error","message":"it broke"},"SubmittedAt":"2026-12-01T12:01:00+00:00","FalCompletedAt":"2026-"""
            + """12-01T12:02:00+00:00","FinishedAt":"2026-12-01T12:03:00+00:00","FalRequestIds":["r1","r2"],"Cost":"""
            + """{"video_seconds":5,"estimated_cost_usd":0.43},"EndUserId":"u-1","Correlation":{"order":"o-1"},"Prompt":"A lighthouse"}"""),
        ["VideoJobResult, worker"] = (
            Result,
            Worker,
            """{"id":"j-1","mode":"image-to-video","outcome":"succeeded","falRequestId":"r2","video":"""
            + """{"blob":"jobs/j-1.mp4","url":"https://videos/j-1.mp4","content_type":"video/mp4","size_bytes":1234},"seed":7,"error":"""
            + """{"code":"fal_error","message":"it broke"},"submittedAt":"2026-12-01T12:01:00+00:00","falCompletedAt":"2026-"""
            + """12-01T12:02:00+00:00","finishedAt":"2026-12-01T12:03:00+00:00","falRequestIds":["r1","r2"],"cost":"""
            + """{"video_seconds":5,"estimated_cost_usd":0.43},"endUserId":"u-1","correlation":{"order":"o-1"},"prompt":"A lighthouse"}"""),
        ["StoreVideoInput, durable"] = (
            Store,
            Durable,
            """{"JobId":"j-1","Mode":"image-to-video","Source":"""
            + """{"Kind":"inbox","Container":"inbox","BlobName":"trips/photo.jpg","ETag":"0x8DC1"},"FalRequestId":"r2","Seed":"""
            + """7,"VideoUrl":"https://fal.media/v.mp4","ContentType":"video/mp4","OutputBlob":"trips/photo.mp4","FileSize":"""
            + """1234,"Announcement":{"Type":"Pipeline.VideoJob.Succeeded","Subject":"videos/trips/photo.mp4","Time":"2026-12-01T12:"""
            + """00:00+00:00","Data":{"id":"j-1","mode":"image-to-video","source":"inbox/trips/photo.jpg","fal_request_id":"r1","video":"""
            + """{"blob":"jobs/j-1.mp4","url":"https://videos/j-1.mp4","content_type":"video/mp4","size_bytes":1234},"seed":7,"error":"""
            + """{"code":"fal_error","message":"it broke"},"timings":{"created_at":"2026-12-01T12:00:00+00:00","submitted_at":"2026-"""
            + """12-01T12:01:00+00:00","fal_completed_at":"2026-12-01T12:02:00+00:00","finished_at":"2026-12-01T12:03:00+00:00"}"""
            + ""","end_user_id":"u-1","correlation":{"order":"o-1"},"video_seconds":5,"estimated_cost_usd":0.43,"batch":"""
            + """{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"variant":{"index":2,"of":4}},"CloudEventId":"j-"""
            + """1.succeeded"},"EndUserId":"u-1","Correlation":{"order":"o-1"},"JobCreatedAt":"2026-12-01T12:00:00+00:00","BatchEnd":"""
            + """{"JobId":"j-1","Batch":{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"Variant":"""
            + """{"index":2,"of":4},"Status":"failed","Video":"videos/j-1.mp4","Seed":"""
            + """7,"CostUsd":0.43,"ErrorCode":"fal_error","ErrorMessage":"it broke"},"QueueEventBehind":true}"""),
        ["StoreVideoInput, worker"] = (
            Store,
            Worker,
            """{"jobId":"j-1","mode":"image-to-video","source":"""
            + """{"kind":"inbox","container":"inbox","blobName":"trips/photo.jpg","eTag":"0x8DC1"},"falRequestId":"r2","seed":"""
            + """7,"videoUrl":"https://fal.media/v.mp4","contentType":"video/mp4","outputBlob":"trips/photo.mp4","fileSize":"""
            + """1234,"announcement":{"type":"Pipeline.VideoJob.Succeeded","subject":"videos/trips/photo.mp4","time":"2026-12-01T12:"""
            + """00:00+00:00","data":{"id":"j-1","mode":"image-to-video","source":"inbox/trips/photo.jpg","fal_request_id":"r1","video":"""
            + """{"blob":"jobs/j-1.mp4","url":"https://videos/j-1.mp4","content_type":"video/mp4","size_bytes":1234},"seed":7,"error":"""
            + """{"code":"fal_error","message":"it broke"},"timings":{"created_at":"2026-12-01T12:00:00+00:00","submitted_at":"2026-"""
            + """12-01T12:01:00+00:00","fal_completed_at":"2026-12-01T12:02:00+00:00","finished_at":"2026-12-01T12:03:00+00:00"}"""
            + ""","end_user_id":"u-1","correlation":{"order":"o-1"},"video_seconds":5,"estimated_cost_usd":0.43,"batch":"""
            + """{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"variant":{"index":2,"of":4}},"cloudEventId":"j-"""
            + """1.succeeded"},"endUserId":"u-1","correlation":{"order":"o-1"},"jobCreatedAt":"2026-12-01T12:00:00+00:00","batchEnd":"""
            + """{"jobId":"j-1","batch":{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"variant":"""
            + """{"index":2,"of":4},"status":"failed","video":"videos/j-1.mp4","seed":"""
            + """7,"costUsd":0.43,"errorCode":"fal_error","errorMessage":"it broke"},"queueEventBehind":true}"""),
        ["StoreVideoInput, step"] = (
            Store,
            StepJson.Options,
            """{"JobId":"j-1","Mode":"image-to-video","Source":"""
            + """{"Kind":"inbox","Container":"inbox","BlobName":"trips/photo.jpg","ETag":"0x8DC1"},"FalRequestId":"r2","Seed":"""
            + """7,"VideoUrl":"https://fal.media/v.mp4","ContentType":"video/mp4","OutputBlob":"trips/photo.mp4","FileSize":"""
            + """1234,"Announcement":{"Type":"Pipeline.VideoJob.Succeeded","Subject":"videos/trips/photo.mp4","Time":"2026-12-01T12:"""
            + """00:00+00:00","Data":{"id":"j-1","mode":"image-to-video","source":"inbox/trips/photo.jpg","fal_request_id":"r1","video":"""
            + """{"blob":"jobs/j-1.mp4","url":"https://videos/j-1.mp4","content_type":"video/mp4","size_bytes":1234},"seed":7,"error":"""
            + """{"code":"fal_error","message":"it broke"},"timings":{"created_at":"2026-12-01T12:00:00+00:00","submitted_at":"2026-"""
            + """12-01T12:01:00+00:00","fal_completed_at":"2026-12-01T12:02:00+00:00","finished_at":"2026-12-01T12:03:00+00:00"}"""
            + ""","end_user_id":"u-1","correlation":{"order":"o-1"},"video_seconds":5,"estimated_cost_usd":0.43,"batch":"""
            + """{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"variant":{"index":2,"of":4}},"CloudEventId":"j-"""
            + """1.succeeded"},"EndUserId":"u-1","Correlation":{"order":"o-1"},"JobCreatedAt":"2026-12-01T12:00:00+00:00","BatchEnd":"""
            + """{"JobId":"j-1","Batch":{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"Variant":"""
            + """{"index":2,"of":4},"Status":"failed","Video":"videos/j-1.mp4","Seed":"""
            + """7,"CostUsd":0.43,"ErrorCode":"fal_error","ErrorMessage":"it broke"},"QueueEventBehind":true}"""),
        ["SubmitToFalInput, durable"] = (
            Submit,
            Durable,
            """{"JobId":"j-1","Mode":"image-to-video","Request":"""
            + """{"prompt":"A lighthouse","resolution":"720p","duration":"auto","aspect_ratio":"auto","generate_audio":true,"seed":"""
            + """7,"end_user_id":"u-1","image_url":"blob://inbox/trips/photo.jpg","image_urls":[],"video_urls":[],"audio_urls":"""
            + """[]},"Source":{"Kind":"inbox","Container":"inbox","BlobName":"trips/photo.jpg","ETag":"0x8DC1"},"Announcement":"""
            + """{"Type":"Pipeline.VideoJob.Succeeded","Subject":"videos/trips/photo.mp4","Time":"2026-12-01T12:00:00+00:00","Data":"""
            + """{"id":"j-1","mode":"image-to-video","source":"inbox/trips/photo.jpg","fal_request_id":"r1","video":"""
            + """{"blob":"jobs/j-1.mp4","url":"https://videos/j-1.mp4","content_type":"video/mp4","size_bytes":1234},"seed":7,"error":"""
            + """{"code":"fal_error","message":"it broke"},"timings":{"created_at":"2026-12-01T12:00:00+00:00","submitted_at":"2026-"""
            + """12-01T12:01:00+00:00","fal_completed_at":"2026-12-01T12:02:00+00:00","finished_at":"2026-12-01T12:03:00+00:00"}"""
            + ""","end_user_id":"u-1","correlation":{"order":"o-1"},"video_seconds":5,"estimated_cost_usd":0.43,"batch":"""
            + """{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"variant":{"index":2,"of":4}}"""
            + ""","CloudEventId":"j-1.succeeded"},"CreatedAt":"2026-12-01T12:00:00+00:00","Attempt":2,"CompanionWaited":true,"Variant":"""
            + """{"index":2,"of":4},"Steps":3,"Ended":["r1"]}"""),
        ["SubmitToFalInput, worker"] = (
            Submit,
            Worker,
            """{"jobId":"j-1","mode":"image-to-video","request":"""
            + """{"prompt":"A lighthouse","resolution":"720p","duration":"auto","aspect_ratio":"auto","generate_audio":true,"seed":"""
            + """7,"end_user_id":"u-1","image_url":"blob://inbox/trips/photo.jpg","image_urls":[],"video_urls":[],"audio_urls":"""
            + """[]},"source":{"kind":"inbox","container":"inbox","blobName":"trips/photo.jpg","eTag":"0x8DC1"},"announcement":"""
            + """{"type":"Pipeline.VideoJob.Succeeded","subject":"videos/trips/photo.mp4","time":"2026-12-01T12:00:00+00:00","data":"""
            + """{"id":"j-1","mode":"image-to-video","source":"inbox/trips/photo.jpg","fal_request_id":"r1","video":"""
            + """{"blob":"jobs/j-1.mp4","url":"https://videos/j-1.mp4","content_type":"video/mp4","size_bytes":1234},"seed":7,"error":"""
            + """{"code":"fal_error","message":"it broke"},"timings":{"created_at":"2026-12-01T12:00:00+00:00","submitted_at":"2026-"""
            + """12-01T12:01:00+00:00","fal_completed_at":"2026-12-01T12:02:00+00:00","finished_at":"2026-12-01T12:03:00+00:00"}"""
            + ""","end_user_id":"u-1","correlation":{"order":"o-1"},"video_seconds":5,"estimated_cost_usd":0.43,"batch":"""
            + """{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"variant":{"index":2,"of":4}}"""
            + ""","cloudEventId":"j-1.succeeded"},"createdAt":"2026-12-01T12:00:00+00:00","attempt":2,"companionWaited":true,"variant":"""
            + """{"index":2,"of":4},"steps":3,"ended":["r1"]}"""),
        ["SubmitToFalInput, step"] = (
            Submit,
            StepJson.Options,
            """{"JobId":"j-1","Mode":"image-to-video","Request":"""
            + """{"prompt":"A lighthouse","resolution":"720p","duration":"auto","aspect_ratio":"auto","generate_audio":true,"seed":"""
            + """7,"end_user_id":"u-1","image_url":"blob://inbox/trips/photo.jpg","image_urls":[],"video_urls":[],"audio_urls":"""
            + """[]},"Source":{"Kind":"inbox","Container":"inbox","BlobName":"trips/photo.jpg","ETag":"0x8DC1"},"Announcement":"""
            + """{"Type":"Pipeline.VideoJob.Succeeded","Subject":"videos/trips/photo.mp4","Time":"2026-12-01T12:00:00+00:00","Data":"""
            + """{"id":"j-1","mode":"image-to-video","source":"inbox/trips/photo.jpg","fal_request_id":"r1","video":"""
            + """{"blob":"jobs/j-1.mp4","url":"https://videos/j-1.mp4","content_type":"video/mp4","size_bytes":1234},"seed":7,"error":"""
            + """{"code":"fal_error","message":"it broke"},"timings":{"created_at":"2026-12-01T12:00:00+00:00","submitted_at":"2026-"""
            + """12-01T12:01:00+00:00","fal_completed_at":"2026-12-01T12:02:00+00:00","finished_at":"2026-12-01T12:03:00+00:00"}"""
            + ""","end_user_id":"u-1","correlation":{"order":"o-1"},"video_seconds":5,"estimated_cost_usd":0.43,"batch":"""
            + """{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"variant":{"index":2,"of":4}}"""
            + ""","CloudEventId":"j-1.succeeded"},"CreatedAt":"2026-12-01T12:00:00+00:00","Attempt":2,"CompanionWaited":true,"Variant":"""
            + """{"index":2,"of":4},"Steps":3,"Ended":["r1"]}"""),
        ["BatchJobEnd, durable"] = (
            BatchEnd,
            Durable,
            """{"JobId":"j-1","Batch":"""
            + """{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"Variant":{"index":2,"of":4}"""
            + ""","Status":"failed","Video":"videos/j-1.mp4","Seed":7,"CostUsd":0.43,"ErrorCode":"fal_error","ErrorMessage":"it broke"}"""),
        ["BatchJobEnd, worker"] = (
            BatchEnd,
            Worker,
            """{"jobId":"j-1","batch":"""
            + """{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"variant":{"index":2,"of":4}"""
            + ""","status":"failed","video":"videos/j-1.mp4","seed":7,"costUsd":0.43,"errorCode":"fal_error","errorMessage":"it broke"}"""),
        ["BatchJobEnd, step"] = (
            BatchEnd,
            StepJson.Options,
            """{"JobId":"j-1","Batch":"""
            + """{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"Variant":{"index":2,"of":4}"""
            + ""","Status":"failed","Video":"videos/j-1.mp4","Seed":7,"CostUsd":0.43,"ErrorCode":"fal_error","ErrorMessage":"it broke"}"""),
        ["JobEventData"] = (
            EventData,
            Durable,
            """{"id":"j-1","mode":"image-to-video","source":"inbox/trips/photo.jpg","fal_request_id":"r1","video":"""
            + """{"blob":"jobs/j-1.mp4","url":"https://videos/j-1.mp4","content_type":"video/mp4","size_bytes":1234},"seed":7,"error":"""
            + """{"code":"fal_error","message":"it broke"},"timings":{"created_at":"2026-12-01T12:00:00+00:00","submitted_at":"2026-"""
            + """12-01T12:01:00+00:00","fal_completed_at":"2026-12-01T12:02:00+00:00","finished_at":"2026-12-01T12:03:00+00:00"}"""
            + ""","end_user_id":"u-1","correlation":{"order":"o-1"},"video_seconds":5,"estimated_cost_usd":0.43,"batch":"""
            + """{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"variant":{"index":2,"of":4}}"""),
        ["JobEventData, bare"] = (
            BareEventData,
            Durable,
            """{"id":"j-1","mode":"text-to-video","source":"http","fal_request_id":null,"video":null,"seed":null,"error":null,"timings":"""
            + """{"created_at":"2026-12-01T12:00:00+00:00","submitted_at":null,"fal_completed_at":null,"finished_at":null}"""
            + ""","end_user_id":null,"correlation":null,"video_seconds":null,"estimated_cost_usd":null}"""),
        ["SubmitRecord"] = (
            Record,
            Web,
            """{"job_id":"j-1","attempt":2,"state":"accepted","claimed_at":"2026-12-01T12:00:00+00:00","request":"""
            + """{"requestId":"r1","statusUrl":"https://queue.fal.run/a/b/requests/r1/status","responseUrl":"https://queue.fal."""
            + """run/a/b/requests/r1","cancelUrl":"https://queue.fal.run/a/b/requests/r1/cancel"},"queue_position":3,"answered_at":"2026-"""
            + """12-01T12:00:01+00:00","error":{"code":"fal_error","message":"it broke"},"mode":"image-to-video","cost":{"video_seconds":"""
            + """5,"estimated_cost_usd":0.43},"end_user_id":"u-1","correlation":{"order":"o-1"},"endpoint_id":"bytedance/"""
            + """seedance-2.0/fast/image-to-video","input_fingerprint":"fp","output_blob":"trips/photo.mp4","prompt":"A lighthouse"}"""),
        ["VideoJobView"] = (
            View,
            Web,
            """{"id":"j-1","mode":"image-to-video","status":"running","stage":"storing","source":"inbox/"""
            + """trips/photo.jpg","prompt":"A lighthouse","fal_request_id":"r2","queue_position":3,"video":"""
            + """{"blob":"jobs/j-1.mp4","url":"https://videos/j-1.mp4","content_type":"video/mp4","size_bytes":1234},"seed":7,"error":"""
            + """{"code":"fal_error","message":"it broke"},"created_at":"2026-12-01T12:00:00+00:00","updated_at":"2026-12-01T12:03:00+00:"""
            + """00","end_user_id":"u-1","correlation":{"order":"o-1"},"video_seconds":5,"estimated_cost_usd":0.43,"fal_request_ids":"""
            + """["r1","r2"],"batch":{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","row":3},"variant":"""
            + """{"index":2,"of":4},"callback":{"origin":"https://hooks.example","events":"""
            + """["succeeded"],"deliveries":[{"event_id":"j-1.submitted","type":"Pipeline.VideoJob.Submitted","attempts":2,"last_status":"""
            + """500,"last_error":"no","last_attempt_at":"2026-12-01T12:00:00+00:00","delivered_at":null,"gave_up":false}]},"retrying":"""
            + """{"step":"copy_video","attempts":2,"last_error":"timeout","next_attempt_at":"2026-12-01T12:04:00+00:00"}"""
            + ""","undelivered_events":[{"id":"j-1.submitted","type":"Pipeline.VideoJob.Submitted","attempts":"""
            + """3,"last_error":"down","next_attempt_at":"2026-12-01T12:05:00+00:00","gave_up":false}]}"""),
        ["VideoJobView, bare"] = (
            BareView,
            Web,
            """{"id":"j-1","mode":"text-to-video","status":"queued","stage":"""
            + """null,"source":"http","prompt":null,"fal_request_id":null,"queue_position":null,"video":null,"seed":null,"error":null"""
            + ""","created_at":"2026-12-01T12:00:00+00:00","updated_at":"2026-12-01T12:00:00+00:00","end_user_id":null,"correlation":null"""
            + ""","video_seconds":null,"estimated_cost_usd":null,"fal_request_ids":null,"batch":null,"variant":null,"callback":null}"""),
        ["BatchProgress"] = (
            Progress,
            Web,
            """{"id":"b-1","kind":"manifest","name":"inbox/shop/products.csv","created_at":"2026-12-01T12:00:00+00:00","total":"""
            + """10,"succeeded":5,"failed":1,"cancelled":"""
            + """1,"remaining":2,"refused":1,"results":"videos/shop/products.results.jsonl","jobs_url":"/api/videos?batch=b-1"}"""),
    };

    private static readonly Dictionary<string, (Type Type, string Schema)> Schemas = new()
    {
        [nameof(VideoJobView)] = (
            typeof(VideoJobView),
            """{"type":"object","properties":{"id":{"type":"string"},"mode":"""
            + """{"enum":["text-to-video","image-to-video","reference-to-video"]},"status":{"type":"string"},"stage":"""
            + """{"type":["string","null"]},"source":{"type":"string"},"prompt":{"type":["string","null"]},"fal_request_id":{"type":"""
            + """["string","null"]},"queue_position":{"type":["integer","null"]},"video":{"type":["object","null"],"properties":{"blob":"""
            + """{"type":"string"},"url":{"type":"string"},"content_type":{"type":"string"},"size_bytes":{"type":"integer"}},"required":"""
            + """["blob","url","content_type","size_bytes"],"additionalProperties":false},"seed":{"type":["integer","null"]},"error":"""
            + """{"type":["object","null"],"properties":{"code":{"type":"string"},"message":{"type":"string"}},"required":"""
            + """["code","message"],"additionalProperties":false},"created_at":{"type":"string","format":"date-time"},"updated_at":"""
            + """{"type":"string","format":"date-time"},"end_user_id":{"type":["string","null"],"default":null},"correlation":"""
            + """{"type":["object","null"],"additionalProperties":{"type":"string"},"default":null},"video_seconds":{"type":"""
            + """["integer","null"],"default":null},"estimated_cost_usd":{"type":["number","null"],"default":null},"fal_request_ids":"""
            + """{"type":["array","null"],"items":{"type":"string"},"default":null},"batch":{"type":["object","null"],"properties":"""
            + """{"id":{"type":"string"},"kind":{"enum":["folder","manifest","variants"]},"name":{"type":"string"},"row":"""
            + """{"type":["integer","null"],"default":null}},"required":["id","kind","name"],"additionalProperties":false,"default":null}"""
            + ""","variant":{"type":["object","null"],"properties":{"index":{"type":"integer"},"of":{"type":"integer"}},"required":"""
            + """["index","of"],"additionalProperties":false,"default":null},"callback":{"type":["object","null"],"properties":"""
            + """{"origin":{"type":"string"},"events":{"type":"array","items":{"type":"string"}},"deliveries":"""
            + """{"type":"array","items":{"type":"object","properties":{"event_id":{"type":"string"},"type":"""
            + """{"type":"string"},"attempts":{"type":"integer"},"last_status":{"type":["integer","null"]},"last_error":"""
            + """{"type":["string","null"]},"last_attempt_at":{"type":["string","null"],"format":"date-time"},"delivered_at":"""
            + """{"type":["string","null"],"format":"date-time"},"gave_up":{"type":"boolean","default":false}},"required":"""
            + """["event_id","type","attempts","last_status","last_error","last_attempt_at","delivered_at"],"additionalProperties":"""
            + """false}}},"required":["origin","events","deliveries"],"additionalProperties":false,"default":null},"retrying":{"type":"""
            + """["object","null"],"properties":{"step":{"type":"string"},"attempts":{"type":"integer"},"last_error":{"type":"string"}"""
            + ""","next_attempt_at":{"type":"string","format":"date-time"}},"required":["step","attempts","last_error","next_attempt_at"]"""
            + ""","additionalProperties":false,"default":null},"undelivered_events":{"type":"""
            + """["array","null"],"items":{"type":"object","properties":{"id":{"type":"string"},"type":{"type":"string"},"attempts":"""
            + """{"type":"integer"},"last_error":{"type":"string"},"next_attempt_at":{"type":["string","null"],"format":"date-time"}"""
            + ""","gave_up":{"type":"boolean"}},"required":["id","type","attempts","last_error","next_attempt_at","gave_up"]"""
            + ""","additionalProperties":false},"default":null}},"required":["id","mode","status","stage","source","prompt","fal_"""
            + """request_id","queue_position","video","seed","error","created_at","updated_at"],"additionalProperties":false}"""),
        [nameof(BatchProgress)] = (
            typeof(BatchProgress),
            """{"type":"object","properties":{"id":{"type":"string"},"kind":{"enum":["folder","manifest","variants"]},"name":"""
            + """{"type":"string"},"created_at":{"type":"string","format":"date-time"},"total":{"type":"integer"},"succeeded":"""
            + """{"type":"integer"},"failed":{"type":"integer"},"cancelled":{"type":"integer"},"remaining":{"type":"integer"},"refused":"""
            + """{"type":"integer"},"results":{"type":["string","null"]},"jobs_url":{"type":"string"}},"required":"""
            + """["id","kind","name","created_at","total","succeeded","failed","cancelled","remaining","refused","results","jobs_url"]"""
            + ""","additionalProperties":false}"""),
        [nameof(JobEventData)] = (
            typeof(JobEventData),
            """{"type":"object","properties":"""
            + """{"id":{"type":"string"},"mode":{"enum":["text-to-video","image-to-video","reference-to-video"]},"source":"""
            + """{"type":"string"},"fal_request_id":{"type":["string","null"]},"video":{"type":["object","null"],"properties":"""
            + """{"blob":{"type":"string"},"url":{"type":"string"},"content_type":{"type":"string"},"size_bytes":"""
            + """{"type":"integer"}},"required":["blob","url","content_type","size_bytes"],"additionalProperties":false},"seed":"""
            + """{"type":["integer","null"]},"error":{"type":["object","null"],"properties":{"code":{"type":"string"},"message":"""
            + """{"type":"string"}},"required":["code","message"],"additionalProperties":false},"timings":{"type":"object","properties":"""
            + """{"created_at":{"type":"string","format":"date-time"},"submitted_at":{"type":["string","null"]"""
            + ""","format":"date-time"},"fal_completed_at":{"type":["string","null"],"format":"date-time"},"finished_at":{"type":"""
            + """["string","null"],"format":"date-time"}},"required":["created_at","submitted_at","fal_completed_at","finished_at"]"""
            + ""","additionalProperties":false},"end_user_id":{"type":["string","null"],"default":null},"correlation":"""
            + """{"type":["object","null"],"additionalProperties":{"type":"string"},"default":null},"video_seconds":"""
            + """{"type":["integer","null"],"default":null},"estimated_cost_usd":{"type":["number","null"],"default":null},"batch":"""
            + """{"type":["object","null"],"properties":{"id":{"type":"string"},"kind":{"enum":["folder","manifest","variants"]},"name":"""
            + """{"type":"string"},"row":{"type":["integer","null"],"default":null}},"required":["id","kind","name"]"""
            + ""","additionalProperties":false,"default":null},"variant":{"type":["object","null"],"properties":{"index":"""
            + """{"type":"integer"},"of":{"type":"integer"}},"required":["index","of"],"additionalProperties":false,"default":null}}"""
            + ""","required":["id","mode","source","fal_request_id","video","seed","error","timings"],"additionalProperties":false}"""),
    };

    public static TheoryData<string> PayloadNames() => [.. Payloads.Keys];

    public static TheoryData<string> SchemaNames() => [.. Schemas.Keys];

    [Theory]
    [MemberData(nameof(PayloadNames))]
    public void Record_IsWrittenAsPinned_AndReadsBackTheSame(string name)
    {
        var (value, options, json) = Payloads[name];

        Assert.Equal(json, Write(value, options));
        Assert.Equal(json, Write(JsonSerializer.Deserialize(json, value.GetType(), options)!, options));
    }

    [Theory]
    [MemberData(nameof(SchemaNames))]
    public void PublishedSchema_IsPinned(string name)
    {
        var (type, schema) = Schemas[name];

        Assert.Equal(schema, ContractSchemas.Of(type).ToJsonString());
    }

    [Fact]
    public void AFirstVersionJob_ReadsWithItsLaterFieldsUnset()
    {
        var job = JsonSerializer.Deserialize<VideoJob>(
            """
            {"Id":"j-1","Mode":"image-to-video","Request":null,"Source":{"Kind":"inbox","Container":"inbox","BlobName":"trips/photo.jpg",
             "ETag":"0x8DC1"},"OutputBlob":"trips/photo.mp4","Timings":{"WebhookWait":"00:02:00","PollInterval":"00:00:30",
             "Deadline":"00:30:00","SidecarGrace":"00:00:05"},"CreatedAt":"2026-12-01T12:00:00+00:00"}
            """,
            Durable)!;

        Assert.Equal(("j-1", "trips/photo.mp4", T0, Drop), (job.Id, job.OutputBlob, job.CreatedAt, job.Source));
        Assert.Equal(
            (null, null, null, null, null, null),
            (job.Correlation, job.RequestFingerprint, job.TraceParent, job.Batch, job.Variant, job.Callback));
        Assert.Null(job.Timings.FalRetention);
    }

    [Fact]
    public void AFirstVersionResult_ReadsWithItsLaterFieldsUnset()
    {
        var result = JsonSerializer.Deserialize<VideoJobResult>(
            """
            {"Id":"j-1","Mode":"text-to-video","Outcome":"failed","FalRequestId":null,"Video":null,"Seed":null,"Error":{"code":"fal_error",
             "message":"it broke"},"SubmittedAt":null,"FalCompletedAt":null,"FinishedAt":"2026-12-01T12:03:00+00:00"}
            """,
            Durable)!;

        Assert.Equal((JobOutcome.Failed, Error, T0.AddMinutes(3)), (result.Outcome, result.Error, result.FinishedAt));
        Assert.Equal(
            (null, null, null, null, null),
            (result.FalRequestIds, result.Cost, result.EndUserId, result.Correlation, result.Prompt));
    }

    [Fact]
    public void AFirstVersionStoreInput_ReadsWithItsLaterFieldsUnset()
    {
        var input = JsonSerializer.Deserialize<StoreVideoInput>(
            """
            {"JobId":"j-1","Mode":"text-to-video","Source":{"Kind":"http","Container":null,"BlobName":null,"ETag":null},"FalRequestId":"r1",
             "Seed":7,"VideoUrl":"https://fal.media/v.mp4","ContentType":null,"OutputBlob":"jobs/j-1.mp4"}
            """,
            Durable)!;

        Assert.Equal(
            ("j-1", "r1", 7L, "https://fal.media/v.mp4", "jobs/j-1.mp4"),
            (input.JobId, input.FalRequestId, input.Seed, input.VideoUrl, input.OutputBlob));
        Assert.Equal(
            (null, null, null, null, null, null),
            (input.FileSize, input.Announcement, input.EndUserId, input.Correlation, input.JobCreatedAt, input.BatchEnd));
        Assert.False(input.QueueEventBehind);
    }

    [Fact]
    public void AFirstVersionSubmitInput_ReadsAsVersion2Steps()
    {
        var input = JsonSerializer.Deserialize<SubmitToFalInput>(
            """{"JobId":"j-1","Mode":"text-to-video","Request":{"prompt":"A lighthouse"}}""", Durable)!;

        Assert.Equal(("j-1", "A lighthouse"), (input.JobId, input.Request?.Prompt));
        Assert.Equal(
            (null, null, null, null, false, null, null),
            (input.Source, input.Announcement, input.CreatedAt, input.Attempt, input.CompanionWaited, input.Variant, input.Ended));
        Assert.Equal(2, input.Steps);
    }

    [Fact]
    public void AFirstVersionSubmitRecord_ReadsWithItsLaterFieldsUnset()
    {
        var record = JsonSerializer.Deserialize<SubmitRecord>(
            """{"job_id":"j-1","attempt":1,"state":"sending","claimed_at":"2026-12-01T12:00:00+00:00"}""", Web)!;

        Assert.Equal(("j-1", 1, SubmitState.Sending, T0), (record.JobId, record.Attempt, record.State, record.ClaimedAt));
        Assert.Equal(
            (null, null, null, null, null, null, null, null),
            (
                record.Request,
                record.QueuePosition,
                record.AnsweredAt,
                record.Error,
                record.Mode,
                record.Cost,
                record.EndUserId,
                record.Correlation));
        Assert.Equal((null, null, null, null), (record.EndpointId, record.InputFingerprint, record.OutputBlob, record.Prompt));
    }

    [Fact]
    public void AFirstVersionEvent_ReadsWithItsLaterFieldsUnset()
    {
        var data = JsonSerializer.Deserialize<JobEventData>(
            """
            {"id":"j-1","mode":"text-to-video","source":"http","fal_request_id":"r1","video":null,"seed":7,"error":null,
             "timings":{"created_at":"2026-12-01T12:00:00+00:00","submitted_at":null,"fal_completed_at":null,"finished_at":null}}
            """,
            Durable)!;

        Assert.Equal(("j-1", "r1", 7L), (data.Id, data.FalRequestId, data.Seed));
        Assert.Equal(
            (null, null, null, null, null, null),
            (data.EndUserId, data.Correlation, data.VideoSeconds, data.EstimatedCostUsd, data.Batch, data.Variant));
    }

    [Fact]
    public void AnEarlierView_ReadsWithItsLaterFieldsUnset()
    {
        // As the API answered before it told end users, costs, batches and callbacks apart.
        var view = JsonSerializer.Deserialize<VideoJobView>(
            """
            {"id":"j-1","mode":"text-to-video","status":"queued","stage":null,"source":"http","fal_request_id":null,"queue_position":null,
             "video":null,"seed":null,"error":null,"created_at":"2026-12-01T12:00:00+00:00","updated_at":"2026-12-01T12:00:00+00:00"}
            """,
            Web)!;

        Assert.Equal(("j-1", VideoJobStatuses.Queued, T0, T0), (view.Id, view.Status, view.CreatedAt, view.UpdatedAt));
        Assert.Equal(
            (null, null, null, null, null, null),
            (view.Prompt, view.EndUserId, view.Correlation, view.VideoSeconds, view.EstimatedCostUsd, view.FalRequestIds));
        Assert.Equal((null, null, null, null, null), (view.Batch, view.Variant, view.Callback, view.Retrying, view.UndeliveredEvents));
    }

    [Fact]
    public void ABatchEndWithoutAnError_ReadsWithNone()
    {
        var end = JsonSerializer.Deserialize<BatchJobEnd>(
            """
            {"JobId":"j-1","Batch":{"id":"b-1","kind":"folder","name":"inbox/trips/"},"Variant":null,"Status":"succeeded",
             "Video":"videos/trips/photo.mp4","Seed":7,"CostUsd":0.43}
            """,
            StepJson.Options)!;

        Assert.Equal(("j-1", "succeeded", 0.43m), (end.JobId, end.Status, end.CostUsd));
        Assert.Equal((null, null), (end.ErrorCode, end.ErrorMessage));
    }

    private static string Write(object value, JsonSerializerOptions options) =>
        ReferenceEquals(options, StepJson.Options)
            ? StepJson.ToElement(value).GetRawText()
            : JsonSerializer.Serialize(value, value.GetType(), options);
}
