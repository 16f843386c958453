using System.Text.Json;
using Azure;
using Pipeline.Core.Jobs;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Housekeeping;

/// <summary>
/// The outcome the reconciler gave a job whose orchestration failed or was terminated (<c>jobs/outcomes/{id}.json</c>):
/// the status API shows it in place of the orchestration's failure, so a video the reconciler stored reads as succeeded.
/// </summary>
public class ReconciledOutcomes(PipelineStorage storage)
{
    private const string Prefix = "outcomes/";

    public virtual Task WriteAsync(VideoJobResult result, CancellationToken cancellationToken) =>
        storage.Jobs.GetBlobClient(Prefix + result.Id + ".json")
            .UploadAsync(BinaryData.FromObjectAsJson(result), overwrite: true, cancellationToken);

    public virtual async Task<VideoJobResult?> ReadAsync(string jobId, CancellationToken cancellationToken)
    {
        try
        {
            var content = await storage.Jobs.GetBlobClient(Prefix + jobId + ".json").DownloadContentAsync(cancellationToken);
            return content.Value.Content.ToObjectFromJson<VideoJobResult>();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public virtual Task ForgetAsync(string jobId, CancellationToken cancellationToken) =>
        storage.Jobs.DeleteBlobIfExistsAsync(Prefix + jobId + ".json", cancellationToken: cancellationToken);
}
