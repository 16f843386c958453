using Pipeline.Core.Requests;

namespace Pipeline.UnitTests.Requests;

public sealed class BlobReferenceTests
{
    [Fact]
    public void TryParse_ContainerAndNestedName_SplitsAtTheFirstSlash()
    {
        Assert.True(BlobReference.TryParse("blob:inbox/trips/2026/photo.jpg", out var reference));

        Assert.Equal(new BlobReference("inbox", "trips/2026/photo.jpg"), reference);
    }

    [Fact]
    public void ToString_Always_FormatsWithTheBlobScheme()
    {
        Assert.Equal("blob:inbox/trips/photo.jpg", new BlobReference("inbox", "trips/photo.jpg").ToString());
    }

    [Theory]
    [InlineData("blob:inbox/photo.jpg")]
    [InlineData("blob:videos/a/b/c d.mp4")]
    public void TryParse_FormattedReference_RoundTrips(string text)
    {
        Assert.True(BlobReference.TryParse(text, out var reference));

        Assert.Equal(text, reference.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("blob:")]
    [InlineData("blob:inbox")]
    [InlineData("blob:inbox/")]
    [InlineData("blob:/photo.jpg")]
    [InlineData("BLOB:inbox/photo.jpg")]
    [InlineData("inbox/photo.jpg")]
    [InlineData("https://account.blob.core.windows.net/inbox/photo.jpg")]
    [InlineData(" blob:inbox/photo.jpg")]
    public void TryParse_NotAReference_IsFalseWithNull(string? text)
    {
        Assert.False(BlobReference.TryParse(text, out var reference));

        Assert.Null(reference);
    }
}
