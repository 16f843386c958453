using Azure.Identity;
using Azure.Messaging.EventGrid;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pipeline.Core.Activities;
using Pipeline.Core.Api;
using Pipeline.Core.Housekeeping;
using Pipeline.Core.Costs;
using Pipeline.Core.Events;
using Pipeline.Core.Fal;
using Pipeline.Core.Options;
using Pipeline.Core.Storage;
using Pipeline.Core.Inbox;
using Pipeline.Core.Webhooks;

namespace Pipeline.Core.DependencyInjection;

/// <summary>The pipeline's services, registered the same way by every host (the Functions app, the local host, tests).</summary>
public static class PipelineServiceCollectionExtensions
{
    /// <summary>
    /// Registers options (validated at start), the fal client, storage, events and the activities. A
    /// <see cref="Microsoft.DurableTask.Client.DurableTaskClient"/> comes from the host (Functions' binding or a worker).
    /// </summary>
    public static IServiceCollection AddVideoPipeline(this IServiceCollection services)
    {
        services.AddOptions<PipelineOptions>().BindConfiguration(PipelineOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EventGridOptions>().BindConfiguration(EventGridOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<FalQueueClientOptions>()
            .BindConfiguration(FalQueueClientOptions.SectionName)
            .Configure<IConfiguration>((o, configuration) =>
            {
                o.Key ??= configuration["FAL_KEY"]; // the secrets, from app settings / Key Vault
                o.AdminKey ??= configuration["FAL_ADMIN_KEY"];
            })
            .Validate<IOptions<PipelineOptions>>((fal, pipeline) => fal.OutputRetention > pipeline.Value.JobDeadline,
                "Fal:OutputRetention must outlast Pipeline:JobDeadline, or a slow job's video could expire at fal before it is copied")
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient<FalQueueClient>();
        // Redirects are followed by hand, each hop checked against the media hosts (no SSRF through a redirect).
        services.AddHttpClient(VideoStore.HttpClientName, c => c.Timeout = TimeSpan.FromMinutes(15))
            .ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler { AllowAutoRedirect = false });
        services.AddSingleton<MediaDownloadPolicy>();

        services.AddSingleton(sp => CreateBlobServiceClient(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<JobEventPublisher>(sp => new JobEventPublisher(
            CreateEventGridClient(sp.GetRequiredService<IOptions<EventGridOptions>>().Value),
            sp.GetRequiredService<IOptions<PipelineOptions>>(),
            sp.GetRequiredService<ILogger<JobEventPublisher>>()));

        services.AddSingleton<PipelineStorage>();
        services.AddSingleton<BlobUrlSigner>();
        services.AddSingleton<FalInputResolver>();
        services.AddOptions<Callbacks.CallbackOptions>().BindConfiguration(Callbacks.CallbackOptions.SectionName)
            .Configure<IConfiguration>((o, configuration) => o.Secrets =
            [
                .. new[] { configuration["CALLBACK_SECRET"], configuration["CALLBACK_SECRET_PREVIOUS"] }
                    .Where(s => !string.IsNullOrWhiteSpace(s))
                    .Select(s => s!.Trim()),
            ]);
        services.AddHttpClient<Callbacks.CallbackSender>()
            .ConfigurePrimaryHttpMessageHandler(
                sp => Callbacks.CallbackSender.Handler(sp.GetRequiredService<IOptions<Callbacks.CallbackOptions>>().Value));
        services.AddSingleton<InboxPresets>();
        services.AddSingleton<InboxReader>();
        services.AddSingleton<Inbox.OutputNames>();
        services.AddSingleton<Inbox.ImageUses>();
        services.AddSingleton<Inbox.PendingManifests>();
        services.AddSingleton<Inbox.PhotoNormalizer>();
        services.AddSingleton<Inbox.InboxPhotos>();
        services.AddSingleton<Batches.BatchLedger>();
        services.AddSingleton<UploadStore>();
        services.AddSingleton<JobIndex>();
        services.AddSingleton<OpenJobs>();
        services.AddSingleton<Submits.SubmitLedger>();
        services.AddSingleton<Submits.SubmitFinder>();
        services.AddSingleton<Submits.SubmitGate>();
        services.AddSingleton<EventOutbox>();
        services.AddSingleton<VideoStore>();
        services.AddSingleton<JobAnnouncer>();
        services.AddOptions<CostOptions>().BindConfiguration(CostOptions.SectionName)
            .Validate<IOptions<PipelineOptions>>((costs, pipeline) => costs.SlotLease > pipeline.Value.JobDeadline,
                "Costs:SlotLease must outlast Pipeline:JobDeadline, or a slot held by a slow job could be taken back while it runs")
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PriceTable>();
        services.AddSingleton<UsageLedger>();
        services.AddSingleton<ConcurrencySlots>();
        services.AddSingleton<JobAdmission>();
        services.AddSingleton<WebhookUrls>();
        services.AddOptions<FalWebhookOptions>().BindConfiguration(FalWebhookOptions.SectionName)
            .Configure<IConfiguration>((o, configuration) => o.UrlSecret ??= configuration["FAL_WEBHOOK_SECRET"]);
        services.AddSingleton<WebhookToken>();
        services.AddHttpClient(FalSignatureVerifier.HttpClientName);
        services.AddSingleton<FalSignatureVerifier>();
        services.TryAddSingleton<FalWebhookVerifier>(sp => sp.GetRequiredService<IOptions<FalWebhookOptions>>().Value.VerifySignatures
            ? sp.GetRequiredService<FalSignatureVerifier>()
            : new AcceptAllFalWebhooks());
        services.AddHostedService<WebhookVerificationNotice>();

        services.AddSingleton<PipelineActivityRunner>();
        services.AddSingleton<Steps.StepRunner>();
        services.AddTransient<FindAtFalActivity>();
        services.AddTransient<AnnounceJobEventActivity>();
        services.AddTransient<SubmitToFalActivity>();
        services.AddTransient<CheckFalStatusActivity>();
        services.AddTransient<FetchFalResultActivity>();
        services.AddTransient<CancelFalRequestActivity>();
        services.AddTransient<StoreVideoActivity>();
        services.AddTransient<WriteErrorMarkerActivity>();
        services.AddTransient<PublishJobEventActivity>();
        services.AddTransient<ReleaseJobSlotActivity>();
        services.AddTransient<RecordBatchEndActivity>();
        services.AddTransient<DeliverCallbackActivity>();

        services.AddTransient<JobScheduler>();
        services.AddTransient<VideoJobService>();
        services.AddTransient<FalWebhookReceiver>();
        services.AddTransient<InboxJobStarter>();
        services.AddTransient<Inbox.ManifestJobStarter>();
        services.AddSingleton<ReconciledOutcomes>();
        services.AddTransient<JobReconciler>();
        services.AddTransient<JobPurger>();
        services.AddTransient<Health.HealthCheck>();
        return services;
    }

    /// <summary>
    /// <c>PipelineStorage</c> as a connection string, or <c>PipelineStorage__blobServiceUri</c> (+ <c>__clientId</c>) for a
    /// managed identity, as Functions' identity-based connections are written; else the host's <c>AzureWebJobsStorage</c>.
    /// </summary>
    public static BlobServiceClient CreateBlobServiceClient(IConfiguration configuration)
    {
        var section = configuration.GetSection(PipelineStorage.ConnectionName);
        if (!string.IsNullOrEmpty(section.Value))
        {
            return new BlobServiceClient(section.Value);
        }

        // The Functions blob trigger reads blobServiceUri (with queueServiceUri); a blob-only connection may say serviceUri.
        if ((section["blobServiceUri"] ?? section["serviceUri"]) is { Length: > 0 } serviceUri)
        {
            return new BlobServiceClient(new Uri(serviceUri), AzureCredentials.For(section["credential"], section["clientId"]));
        }

        return configuration["AzureWebJobsStorage"] is { Length: > 0 } hostStorage
            ? new BlobServiceClient(hostStorage)
            : throw new OptionsValidationException(PipelineStorage.ConnectionName, typeof(BlobServiceClient),
                ["Set PipelineStorage (a connection string) or PipelineStorage__serviceUri (managed identity)."]);
    }

    private static EventGridPublisherClient? CreateEventGridClient(EventGridOptions options)
    {
        // A few quick retries inside one delivery; longer outages are the outbox's (EventOutbox), so no call hangs for minutes.
        var client = new EventGridPublisherClientOptions
        {
            Retry = { MaxRetries = 2, Delay = TimeSpan.FromMilliseconds(500), NetworkTimeout = options.PublishTimeout },
        };
        return options.TopicEndpoint switch
        {
            null => null,
            var endpoint when !string.IsNullOrEmpty(options.TopicKey) =>
                new EventGridPublisherClient(endpoint, new Azure.AzureKeyCredential(options.TopicKey), client),
            var endpoint => new EventGridPublisherClient(endpoint, AzureCredentials.For(null, options.ManagedIdentityClientId), client),
        };
    }

    /// <summary>
    /// The stop gate of submits (<see cref="Submits.SubmitGate"/>), as a hosted service: each host adds it last, so that it
    /// is stopped first and the submits under way finish while the rest of the host still runs.
    /// </summary>
    public static IServiceCollection AddSubmitGate(this IServiceCollection services) =>
        services.AddHostedService(sp => sp.GetRequiredService<Submits.SubmitGate>());
}
