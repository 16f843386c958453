namespace Pipeline.LocalHost.Events;

/// <summary>
/// One publish call to a stand-in topic, accepted or not: what came (content type, body, whether the key was right, when
/// it arrived), the status the topic answers and why it refuses (<see cref="Problem"/>), and the events it took.
/// </summary>
public sealed record TopicPost(string? ContentType, bool KeyAccepted, int Status, string Body, DateTimeOffset ArrivedAt)
{
    /// <summary>Why the topic refuses the call; null when it takes it (status 200).</summary>
    public string? Problem { get; init; }

    /// <summary>The events taken, in the order of the body; empty unless the status is 200.</summary>
    public IReadOnlyList<ReceivedEvent> Events { get; init; } = [];

    /// <summary>The same call answered with <paramref name="status"/> for <paramref name="problem"/>, taking no event.</summary>
    public TopicPost Refused(int status, string problem) => this with { Status = status, Problem = problem, Events = [] };
}
