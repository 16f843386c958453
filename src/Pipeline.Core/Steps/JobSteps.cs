namespace Pipeline.Core.Steps;

/// <summary>
/// The steps of a version 3 job, each an activity under its own name (the Functions app has one function per name).
/// Each takes a <see cref="StepCall"/> and answers a <see cref="StepAnswer"/>; the activities of versions 1 and 2
/// keep their own names and shapes for jobs started by those versions.
/// </summary>
public static class JobSteps
{
    /// <summary>
    /// Reads the drop, admits the job and sends it to fal once per attempt
    /// (<see cref="Activities.SubmitToFalActivity"/>).
    /// </summary>
    public const string Submit = "SubmitJob";

    /// <summary>Looks for a submit whose answer was lost in fal's request history (<see cref="Activities.FindAtFalActivity"/>).</summary>
    public const string FindAtFal = "FindJobAtFal";

    /// <summary>Asks fal for a request's status, and its result once completed (<see cref="Activities.CheckFalStatusActivity"/>).</summary>
    public const string Poll = "PollFal";

    /// <summary>Reads a finished request's result (<see cref="Activities.FetchFalResultActivity"/>).</summary>
    public const string ReadResult = "ReadFalResult";

    /// <summary>Asks fal to cancel a request (<see cref="Activities.CancelFalRequestActivity"/>).</summary>
    public const string Cancel = "CancelAtFal";

    /// <summary>Streams the video into the videos container and settles the job (<see cref="Activities.StoreVideoActivity"/>).</summary>
    public const string Store = "CopyVideo";

    /// <summary>Leaves an inbox job's error marker (<see cref="Activities.WriteErrorMarkerActivity"/>).</summary>
    public const string MarkFailure = "MarkInboxFailure";

    /// <summary>Publishes a job event, or keeps it for later delivery (<see cref="Activities.PublishJobEventActivity"/>).</summary>
    public const string Announce = "AnnounceJobEvent";

    /// <summary>
    /// Gives back the job's slot and, when fal never had it, its reservation
    /// (<see cref="Activities.ReleaseJobSlotActivity"/>).
    /// </summary>
    public const string Settle = "SettleJob";

    /// <summary>Records a batch job's end (<see cref="Activities.RecordBatchEndActivity"/>).</summary>
    public const string RecordInBatch = "RecordJobInBatch";
}
