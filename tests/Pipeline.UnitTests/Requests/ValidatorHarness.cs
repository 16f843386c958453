using System.Text.Json.Nodes;
using Pipeline.Core.Requests;

namespace Pipeline.UnitTests.Requests;

/// <summary>Runs the validator on JSON text, so each test reads as the body a caller would send.</summary>
internal static class ValidatorHarness
{
    public static (VideoRequest? Request, ValidationErrors Errors) Validate(
        VideoMode mode, string json, bool allowBlobReferences = false) =>
        VideoRequestValidator.Validate(mode, JsonNode.Parse(json), allowBlobReferences);

    /// <summary>A valid request, failing the test with every problem when it is not.</summary>
    public static VideoRequest Valid(VideoMode mode, string json, bool allowBlobReferences = false)
    {
        var (request, errors) = Validate(mode, json, allowBlobReferences);
        Assert.True(errors.Count == 0, "unexpected problems: " + errors.Describe());
        Assert.NotNull(request);
        return request;
    }

    /// <summary>The messages of one field, failing the test when the request was accepted or the field is not named.</summary>
    public static string[] Problems(VideoMode mode, string json, string field, bool allowBlobReferences = false)
    {
        var (request, errors) = Validate(mode, json, allowBlobReferences);
        Assert.Null(request);
        Assert.True(errors.TryGetValue(field, out var messages), $"no problem reported for '{field}'; reported: {errors.Describe()}");
        return messages;
    }

    /// <summary>A JSON array of <paramref name="count"/> distinct https URLs.</summary>
    public static string Urls(int count, string kind = "img") =>
        "[" + string.Join(",", Enumerable.Range(1, count).Select(i => $"\"https://cdn.example.com/{kind}{i}.bin\"")) + "]";
}
