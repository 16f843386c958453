using System.Text;
using Microsoft.AspNetCore.Http;
using Pipeline.LocalHost.Events;

namespace Pipeline.IntegrationTests.Infrastructure;

/// <summary>
/// The topic every stand-in shares, by the rules of the local host's sink (<see cref="TopicRules.AnyJson"/>); the
/// CloudEvents rules are tried through <see cref="EventGridSink"/> in <see cref="EventGridSinkTests"/>.
/// </summary>
public sealed class EventGridTopicTests
{
    [Theory]
    [InlineData("application/json", """[{"id":"a"},1,{"id":"b"}]""", new[] { """{"id":"a"}""", """{"id":"b"}""" })]
    [InlineData(null, """{"id":"a","x":[1, 2]}""", new[] { """{"id":"a","x":[1, 2]}""" })]
    [InlineData("text/plain", "42", new string[0])]
    public async Task AnyJson_WithTheKey_TakesEveryObjectAsItArrived(string? contentType, string body, string[] expected)
    {
        var post = await ReceiveAsync("key", contentType, body);

        Assert.Equal(StatusCodes.Status200OK, post.Status);
        Assert.Null(post.Problem);
        Assert.Equal(expected, post.Events.Select(e => e.RawJson));
        Assert.All(post.Events, e => Assert.Null(e.CloudEvent));
    }

    [Theory]
    [InlineData("key", "wrong", "[]", StatusCodes.Status401Unauthorized)]
    [InlineData(null, null, "[]", StatusCodes.Status401Unauthorized)]
    [InlineData("", "", "[]", StatusCodes.Status401Unauthorized)]
    [InlineData("key", "key", "{not json", StatusCodes.Status400BadRequest)]
    [InlineData("key", "key", "", StatusCodes.Status400BadRequest)]
    public async Task AnyJson_WithoutTheKeyOrJson_IsRefused(string? expected, string? sent, string body, int status)
    {
        var post = await ReceiveAsync(sent, "application/json", body, expected);

        Assert.Equal(status, post.Status);
        Assert.NotNull(post.Problem);
        Assert.Empty(post.Events);
        Assert.Equal(body, post.Body);
    }

    private static Task<TopicPost> ReceiveAsync(string? sent, string? contentType, string body, string? expected = "key")
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = contentType;
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        if (sent is not null)
        {
            context.Request.Headers[EventGridTopic.KeyHeader] = sent;
        }

        return EventGridTopic.ReceiveAsync(context.Request, expected, TopicRules.AnyJson, TestContext.Current.CancellationToken);
    }
}
