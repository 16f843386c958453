using Pipeline.Core.Jobs;

namespace Pipeline.UnitTests.Requests;

public sealed class JobIdsTests
{
    [Fact]
    public void ForBlob_SameBlobVersion_GivesTheSameId()
    {
        var first = JobIds.ForBlob("inbox", "trips/photo.jpg", "0x8DC1");
        var second = JobIds.ForBlob("inbox", "trips/photo.jpg", "0x8DC1");

        Assert.Equal(first, second);
    }

    [Fact]
    public void ForBlob_AnotherETag_GivesAnotherId()
    {
        Assert.NotEqual(JobIds.ForBlob("inbox", "trips/photo.jpg", "0x8DC1"), JobIds.ForBlob("inbox", "trips/photo.jpg", "0x8DC2"));
    }

    [Theory]
    [InlineData("inbox", "trips/other.jpg", "0x8DC1")]
    [InlineData("inbox2", "trips/photo.jpg", "0x8DC1")]
    [InlineData("inbox", "trips", "photo.jpg\n0x8DC1")]
    public void ForBlob_AnotherContainerOrName_GivesAnotherId(string container, string name, string etag)
    {
        Assert.NotEqual(JobIds.ForBlob("inbox", "trips/photo.jpg", "0x8DC1"), JobIds.ForBlob(container, name, etag));
    }

    [Fact]
    public void ForBlob_QuotedETag_GivesTheSameIdAsUnquoted()
    {
        Assert.Equal(JobIds.ForBlob("inbox", "a.jpg", "0x8DC1"), JobIds.ForBlob("inbox", "a.jpg", "\"0x8DC1\""));
    }

    [Theory]
    [InlineData("trips/2026/photo.jpg")]
    [InlineData("a#b?c\\d.jpg")]
    [InlineData("@odd name with spaces.png")]
    public void ForBlob_AnyBlobName_GivesAnIdSafeForDurable(string name)
    {
        var id = JobIds.ForBlob("inbox", name, "\"0x1\"");

        Assert.StartsWith("inbox-", id, StringComparison.Ordinal);
        Assert.DoesNotContain('/', id);
        Assert.DoesNotContain('\\', id);
        Assert.DoesNotContain('#', id);
        Assert.DoesNotContain('?', id);
        Assert.True(id.Length <= 64);
        Assert.True(JobIds.IsWellFormed(id));
    }

    [Fact]
    public void ForIdempotencyKey_SameModeAndKey_GivesTheSameWellFormedId()
    {
        var id = JobIds.ForIdempotencyKey("text-to-video", "order-17/retry");

        Assert.Equal(id, JobIds.ForIdempotencyKey("text-to-video", "order-17/retry"));
        Assert.StartsWith("api-", id, StringComparison.Ordinal);
        Assert.DoesNotContain('/', id);
        Assert.True(JobIds.IsWellFormed(id));
    }

    [Fact]
    public void ForIdempotencyKey_AnotherModeOrKey_GivesAnotherId()
    {
        var id = JobIds.ForIdempotencyKey("text-to-video", "k1");

        Assert.NotEqual(id, JobIds.ForIdempotencyKey("image-to-video", "k1"));
        Assert.NotEqual(id, JobIds.ForIdempotencyKey("text-to-video", "k2"));
    }

    [Fact]
    public void New_TwoCalls_GiveDistinctWellFormedIds()
    {
        var a = JobIds.New();
        var b = JobIds.New();

        Assert.NotEqual(a, b);
        Assert.True(JobIds.IsWellFormed(a));
        Assert.True(JobIds.IsWellFormed(b));
    }

    private const string Hex32 = "0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("api-" + Hex32)]
    [InlineData("inbox-" + Hex32)]
    public void IsWellFormed_PrefixAnd32LowerHex_IsTrue(string id)
    {
        Assert.True(JobIds.IsWellFormed(id));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("api-")]
    [InlineData("inbox-")]
    [InlineData("api-a")]
    [InlineData("api-0123456789abcdef")]
    [InlineData("api-" + Hex32 + "0")]
    [InlineData("inbox-" + Hex32 + Hex32)]
    [InlineData("job-" + Hex32)]
    [InlineData("API-" + Hex32)]
    [InlineData("api-0123456789ABCDEF0123456789abcdef")]
    [InlineData("api-0123456789abcdeg0123456789abcdef")]
    [InlineData("api-0123456789abcdef/123456789abcdef")]
    [InlineData("inbox-0123456789abcdef../456789abcdef")]
    [InlineData("@api-" + Hex32)]
    [InlineData(" api-" + Hex32)]
    [InlineData("api-" + Hex32 + " ")]
    [InlineData("api-0123456789abcdef-123456789abcdef")]
    [InlineData("api-inbox-0123456789abcdef012345678")]
    public void IsWellFormed_Stranger_IsFalse(string? id)
    {
        Assert.False(JobIds.IsWellFormed(id));
    }
}
