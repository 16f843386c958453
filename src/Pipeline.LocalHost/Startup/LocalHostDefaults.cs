using System.Security.Cryptography;
using FalEmulator;
using Pipeline.Core.Storage;
using Pipeline.LocalHost.Events;

namespace Pipeline.LocalHost.Startup;

/// <summary>
/// The settings the local host fills in where nothing else sets them: Azurite, this machine's URLs, intervals for one
/// machine, its own task hub, and its own Event Grid sink with a key made for this run. Then fal: the embedded emulator
/// (<see cref="PipelineSettings"/>, over anything set, so that a real key never goes to it) or real fal (inputs sent
/// inline, and polling unless a public URL is set).
/// </summary>
internal static class LocalHostDefaults
{
    public static WebApplicationBuilder AddLocalHostDefaults(
        this WebApplicationBuilder builder, LocalHostOptions options, FalEmulatorHost? emulator)
    {
        var configuration = builder.Configuration;
        var baseUrl = options.BaseUrl;
        var defaults = new Dictionary<string, string?>
        {
            [PipelineStorage.ConnectionName] = configuration[PipelineStorage.ConnectionName] ?? "UseDevelopmentStorage=true",
            ["Pipeline:PublicBaseUrl"] = configuration["Pipeline:PublicBaseUrl"] ?? baseUrl,
            ["Pipeline:WebhookWait"] = configuration["Pipeline:WebhookWait"] ?? "00:00:20",
            ["Pipeline:PollInterval"] = configuration["Pipeline:PollInterval"] ?? "00:00:05",
            ["Pipeline:SidecarGrace"] = configuration["Pipeline:SidecarGrace"] ?? "00:00:02",
            ["Pipeline:ApiBaseUrl"] = configuration["Pipeline:ApiBaseUrl"] ?? baseUrl,
            ["TASKHUB_NAME"] = options.TaskHub, // the name the Functions app reads
            ["EventGrid:TopicEndpoint"] = configuration["EventGrid:TopicEndpoint"] ?? baseUrl + EventGridSink.Path,
            // The sink takes events only from this machine, with a key made for this run.
            ["EventGrid:TopicKey"] = configuration["EventGrid:TopicKey"] ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
        };
        if (emulator is not null)
        {
            foreach (var (key, value) in PipelineSettings.For(emulator))
            {
                defaults[key] = value;
            }
        }
        else
        {
            // fal cannot fetch SAS URLs of a storage on this machine: send inbox files inline unless told otherwise.
            defaults["Pipeline:SendInputsAsDataUris"] = configuration["Pipeline:SendInputsAsDataUris"] ?? "true";
            if (configuration["Pipeline:PublicBaseUrl"] is null)
            {
                defaults["Pipeline:PublicBaseUrl"] = null; // fal cannot reach localhost: poll instead of waiting for webhooks
            }
        }

        configuration.AddInMemoryCollection(defaults);
        return builder;
    }
}
