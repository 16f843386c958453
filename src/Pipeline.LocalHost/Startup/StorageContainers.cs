using Pipeline.Core.Storage;
using Pipeline.LocalHost.Housekeeping;

namespace Pipeline.LocalHost;

public static partial class LocalPipelineHost
{
    /// <summary>Creates the inbox and videos containers in Azurite before anything lists them.</summary>
    /// <remarks>
    /// Nested in <see cref="LocalPipelineHost"/>, where it always was: its log category, which the console shows, stays.
    /// </remarks>
    internal sealed class StorageContainers(PipelineStorage storage, ILogger<StorageContainers> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => UntilStorageAnswers.RunAsync(
            () => storage.EnsureContainersAsync(cancellationToken), "The containers", logger, cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
