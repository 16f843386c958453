using Azure;

namespace Pipeline.Core.Submits;

/// <summary>What claiming a submit found: the right to send it, or the record of a run that claimed it before.</summary>
public abstract record SubmitClaim
{
    private SubmitClaim()
    {
    }

    /// <summary>This run may send the submit; <paramref name="ETag"/> guards the record's completion.</summary>
    public sealed record Granted(ETag ETag) : SubmitClaim;

    /// <summary>An earlier run claimed it: its record says what fal has.</summary>
    public sealed record Taken(SubmitRecord Record) : SubmitClaim;
}
