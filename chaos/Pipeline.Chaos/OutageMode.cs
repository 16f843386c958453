namespace Pipeline.Chaos;

/// <summary>How a dependency is out during an outage window.</summary>
public enum OutageMode
{
    /// <summary>Nothing listens: every connection is refused, and connections open when it began are cut.</summary>
    Refuse,

    /// <summary>It listens and answers every request 503, with the dependency's own error body.</summary>
    ServiceUnavailable,
}

/// <summary>The modes' names on the command line and in the report.</summary>
public static class OutageModeNames
{
    public static string Name(this OutageMode mode) => mode == OutageMode.Refuse ? "refuse" : "503";
}
