using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pipeline.Core.Requests;

/// <summary>
/// The JSON of a request (an API body, an inbox sidecar): read from a stream a stranger controls, never past a limit,
/// and parsed strictly — invalid UTF-8, a key given twice or nesting deeper than any request needs is a problem to
/// report, not an exception.
/// </summary>
public static class RequestJson
{
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false, MaxDepth = 32 };

    /// <summary>What reading found: the JSON, a body past the limit, or why it is not JSON.</summary>
    public abstract record Read
    {
        private Read()
        {
        }

        public sealed record Parsed(JsonNode? Node) : Read;

        public sealed record TooLarge : Read;

        public sealed record Invalid(string Problem) : Read;
    }

    /// <summary>Reads at most <paramref name="maxBytes"/> (one more tells that there is more) and parses them.</summary>
    public static async Task<Read> ReadAsync(Stream body, int maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[maxBytes + 1];
        var length = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        return length > maxBytes ? new Read.TooLarge() : Parse(buffer.AsSpan(0, length));
    }

    public static Read Parse(ReadOnlySpan<byte> utf8)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            return new Read.Invalid("it is not valid UTF-8"); // the parser would only find out when a string is read
        }

        try
        {
            return new Read.Parsed(JsonNode.Parse(utf8, documentOptions: Strict));
        }
        catch (Exception e)
            when (e is JsonException or ArgumentException or InvalidOperationException or System.Text.DecoderFallbackException)
        {
            return new Read.Invalid(e.Message);
        }
    }
}
