using System.Net;
using System.Text.Json.Serialization;

namespace Pipeline.Core.Steps;

/// <summary>
/// Why a step failed, as data rather than as a thrown exception: the exception's type and those of its causes, its
/// message, and the HTTP status a web dependency (fal, its file host) answered, when one did.
/// The orchestrator decides from this whether to try again, and when.
/// </summary>
public sealed record StepFailure(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("causes")] IReadOnlyList<string> Causes,
    [property: JsonPropertyName("http_status")] int? HttpStatus = null)
{
    public static StepFailure From(Exception e)
    {
        var causes = new List<string>();
        int? status = null;
        for (var cause = e; cause is not null; cause = cause.InnerException)
        {
            causes.Add(cause.GetType().FullName ?? cause.GetType().Name);
            // A web dependency's answer (fal, its file host), not storage's: a 403 from storage is a role still being
            // granted, to be waited out, while a 404 from fal's file host means the file is gone.
            status ??= cause switch
            {
                HttpRequestException { StatusCode: { } code } => (int)code,
                Fal.FalApiException { Status: { } fal } => fal,
                _ => null,
            };
        }

        return new StepFailure(e.GetType().FullName ?? e.GetType().Name, e.Message, causes, status);
    }

    /// <summary>A failure the engine reported for the step (its function could not run), not one the step returned.</summary>
    public static StepFailure FromTask(Microsoft.DurableTask.TaskFailedException e) =>
        new(e.FailureDetails.ErrorType, e.FailureDetails.ErrorMessage, [e.FailureDetails.ErrorType]);

    public bool IsCausedBy<T>() where T : Exception => Causes.Contains(typeof(T).FullName!, StringComparer.Ordinal);

    /// <summary>A dependency answered that the thing is not there, or not ours to take: asking again will not change it.</summary>
    public bool IsDefinite => HttpStatus is (int)HttpStatusCode.Forbidden or (int)HttpStatusCode.NotFound or (int)HttpStatusCode.Gone;
}
