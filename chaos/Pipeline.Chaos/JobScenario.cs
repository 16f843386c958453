namespace Pipeline.Chaos;

/// <summary>How a job reaches the pipeline.</summary>
public enum JobSource
{
    /// <summary><c>POST /api/videos/text-to-video</c> with JSON.</summary>
    HttpJson,

    /// <summary><c>POST /api/videos/image-to-video</c> as a form with the image as a file.</summary>
    MultipartImage,

    /// <summary><c>POST /api/videos/reference-to-video</c> as a form with two images.</summary>
    MultipartReferences,

    /// <summary>An image dropped into the inbox container, its prompt in blob metadata.</summary>
    InboxImage,

    /// <summary>A sidecar <c>.json</c> dropped into the inbox, then its image: one job, the image's.</summary>
    InboxPair,

    /// <summary>A <c>.json</c> with <c>mode: text-to-video</c> dropped alone.</summary>
    InboxJson,
}

/// <summary>One kind of job in the mix: its source, the emulator faults it meets, and how it must end.</summary>
/// <param name="Faults">The emulator's knobs for the job's fal request (<c>[emulator: …]</c> in its prompt), in fal's seconds.</param>
/// <param name="Succeeds">Whether fal makes its video (a job whose fal request fails must fail, without a video).</param>
public sealed record JobScenario(string Name, JobSource Source, string Faults = "", bool Succeeds = true)
{
    public static readonly IReadOnlyList<JobScenario> All =
    [
        new("http json", JobSource.HttpJson),
        new("http json, webhook dropped (poll)", JobSource.HttpJson, "webhook=drop"),
        new("http json, webhook twice and late", JobSource.HttpJson, "webhook_duplicates=2, webhook_delay=40s"),
        new("http json, slow submit", JobSource.HttpJson, "submit_delay=60s"),
        new("http json, slow copy", JobSource.HttpJson, "file=slow:100s"),
        new("http json, submit answer lost", JobSource.HttpJson, "submit_lost=1"),
        new("http json, 2xx without request id", JobSource.HttpJson, "submit_no_id=1"),
        new("http json, OK webhook without payload", JobSource.HttpJson, "webhook=no-payload"),
        new("http json, result 503 twice (poll)", JobSource.HttpJson, "webhook=drop, result_503=2"),
        new("http json, fal fails", JobSource.HttpJson, "result=error", Succeeds: false),
        new("multipart image-to-video", JobSource.MultipartImage),
        new("multipart reference-to-video", JobSource.MultipartReferences),
        new("inbox image", JobSource.InboxImage),
        new("inbox sidecar, then image", JobSource.InboxPair),
        new("inbox json text-to-video", JobSource.InboxJson),
    ];
}
