namespace Pipeline.Chaos;

/// <summary>A dependency of the pipeline that the chaos run can take away (<c>--outages fal,files,eventgrid,storage</c>).</summary>
public enum Dependency
{
    /// <summary>fal's queue API: submit, status, result, cancel.</summary>
    Fal,

    /// <summary>fal's file host (fal.media): where result videos are downloaded from.</summary>
    Files,

    /// <summary>The Event Grid topic the job events are published to.</summary>
    EventGrid,

    /// <summary>The storage account: blob, queue and table at once (the durable engine's too).</summary>
    Storage,
}

/// <summary>The dependencies' names on the command line and in the report.</summary>
public static class DependencyNames
{
    public static string Name(this Dependency dependency) => dependency.ToString().ToLowerInvariant();

    public static Dependency Parse(string name)
    {
        var wanted = name.Trim().ToLowerInvariant();
        var all = Enum.GetValues<Dependency>();
        return all.Where(d => d.Name() == wanted).Select(d => (Dependency?)d).FirstOrDefault()
            ?? throw new ArgumentException($"--outages: '{name}' is not one of {string.Join(", ", all.Select(d => d.Name()))}");
    }
}
