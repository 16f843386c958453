using System.Text.Json.Nodes;
using Pipeline.Core.Requests;

namespace Pipeline.UnitTests.Requests;

public sealed class CorrelationTests
{
    [Fact]
    public void Split_TakesTheMapOutOfTheBody()
    {
        var errors = new ValidationErrors();
        var body = JsonNode.Parse("""{ "prompt": "p", "correlation": { "order": "42", "campaign": "winter" } }""");

        var (rest, correlation) = Correlation.Split(body, errors);

        Assert.Empty(errors);
        Assert.False(rest!.AsObject().ContainsKey("correlation"));
        Assert.True(body!.AsObject().ContainsKey("correlation"), "the caller's body is left as it was");
        Assert.Equal(new Dictionary<string, string> { ["campaign"] = "winter", ["order"] = "42" }, correlation);
    }

    [Theory]
    [InlineData("""[ "a" ]""", "correlation", "must be an object")]
    [InlineData("""{ "Order": "1" }""", "correlation.Order", "lower-case")]
    [InlineData("""{ "order": 1 }""", "correlation.order", "must be a string")]
    [InlineData(
        """{ "a": "b", "c": "d", "e": "f", "g": "h", "i": "j", "k": "l", "m": "n", "o": "p", "q": "r", "s": "t", "u": "v" }""",
        "correlation",
        "at most 10")]
    public void Read_BadMaps_NameTheFieldAndTheRule(string json, string field, string rule)
    {
        var errors = new ValidationErrors();

        Correlation.Read(JsonNode.Parse(json), errors);

        Assert.Contains(rule, Assert.Single(errors[field]), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ValueTooLong_IsRefused()
    {
        var errors = new ValidationErrors();

        Correlation.Read(new JsonObject { ["note"] = new string('x', Correlation.MaxValueLength + 1) }, errors);

        Assert.True(errors.ContainsKey("correlation.note"));
    }
}
