using Pipeline.Core.Storage;
using Pipeline.Core.Inbox;

namespace Pipeline.UnitTests.Storage;

/// <summary>An inbox file is checked with one ranged read: its whole size comes from the answer's Content-Range.</summary>
public sealed class ContentRangeTests
{
    [Theory]
    [InlineData("bytes 0-15/12345", 12345L)]
    [InlineData("bytes 0-9/10", 10L)]
    [InlineData("bytes 0-15/31457281", 31457281L)]
    public void TotalLength_IsTheNumberAfterTheSlash(string contentRange, long expected) =>
        Assert.Equal(expected, InboxReader.TotalLength(contentRange));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("bytes 0-15")]
    [InlineData("bytes 0-15/*")]
    [InlineData("bytes 0-15/-3")]
    public void TotalLength_WithoutAKnownTotal_IsNull(string? contentRange) =>
        Assert.Null(InboxReader.TotalLength(contentRange));
}
