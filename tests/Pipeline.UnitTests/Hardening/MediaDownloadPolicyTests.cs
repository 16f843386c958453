using Pipeline.Core.Options;
using Pipeline.Core.Storage;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Pipeline.UnitTests.Hardening;

/// <summary>
/// Which URLs the pipeline downloads videos from: fal's CDN and Google storage over https by default; anything else
/// (look-alike hosts, metadata endpoints, loopback, other schemes) is refused with <see cref="DownloadRefusedException"/>.
/// </summary>
public sealed class MediaDownloadPolicyTests
{
    private static MediaDownloadPolicy Policy(bool allowHttp = false, params string[] hosts)
    {
        var options = new PipelineOptions { AllowHttpDownloads = allowHttp };
        if (hosts.Length > 0)
        {
            options.MediaHosts = [.. hosts];
        }

        return new MediaDownloadPolicy(MsOptions.Create(options));
    }

    [Theory]
    [InlineData("https://v3b.fal.media/files/b/koala/video.mp4")]
    [InlineData("https://fal.media/files/koala/video.mp4")]
    [InlineData("https://storage.googleapis.com/falserverless/video.mp4")]
    [InlineData("https://v3.fal.media/files/x.mp4?token=abc")]
    [InlineData("https://a.b.fal.media/x.mp4")]
    [InlineData("https://V3B.FAL.MEDIA/files/x.mp4")]
    [InlineData("https://fal.media:443/x.mp4")]
    [InlineData("https://fal.media:8443/x.mp4")]
    public void EnsureAllowed_DefaultHostOverHttps_DoesNotThrow(string url)
    {
        Policy().EnsureAllowed(new Uri(url));
    }

    [Theory]
    [InlineData("http://v3b.fal.media/files/x.mp4")]
    [InlineData("http://fal.media/files/x.mp4")]
    [InlineData("http://storage.googleapis.com/bucket/x.mp4")]
    public void EnsureAllowed_DefaultHostOverHttp_Throws(string url)
    {
        var e = Assert.Throws<DownloadRefusedException>(() => Policy().EnsureAllowed(new Uri(url)));
        Assert.Contains("https", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://v3b.fal.media/files/x.mp4")]
    [InlineData("http://fal.media/files/x.mp4")]
    [InlineData("http://storage.googleapis.com/bucket/x.mp4")]
    public void EnsureAllowed_DefaultHostOverHttpWhenHttpAllowed_DoesNotThrow(string url)
    {
        Policy(allowHttp: true).EnsureAllowed(new Uri(url));
    }

    [Theory]
    [InlineData("https://evil.com/video.mp4")]
    [InlineData("https://fal.media.evil.com/video.mp4")]
    [InlineData("https://v3b.fal.media.evil.com/video.mp4")]
    [InlineData("https://evilfal.media/video.mp4")]
    [InlineData("https://xfal.media/video.mp4")]
    [InlineData("https://storage.googleapis.com.evil.com/video.mp4")]
    [InlineData("https://evilstorage.googleapis.com/video.mp4")]
    [InlineData("https://bucket.storage.googleapis.com/video.mp4")]
    [InlineData("https://googleapis.com/video.mp4")]
    [InlineData("https://media/video.mp4")]
    [InlineData("https://169.254.169.254/latest/meta-data/")]
    [InlineData("https://169.254.169.254/metadata/instance?api-version=2021-02-01")]
    [InlineData("https://localhost/video.mp4")]
    [InlineData("https://localhost:7072/video.mp4")]
    [InlineData("https://127.0.0.1/video.mp4")]
    [InlineData("https://[::1]/video.mp4")]
    [InlineData("https://10.0.0.4/video.mp4")]
    [InlineData("https://fal.media@evil.com/video.mp4")]
    [InlineData("https://fal.media:x@evil.com/video.mp4")]
    [InlineData("https://fal.m\u0435dia/video.mp4")] // Cyrillic 'е'
    public void EnsureAllowed_HostNotAllowed_Throws(string url)
    {
        Assert.Throws<DownloadRefusedException>(() => Policy().EnsureAllowed(new Uri(url)));
    }

    [Theory]
    [InlineData("http://evil.com/video.mp4")]
    [InlineData("http://fal.media.evil.com/video.mp4")]
    [InlineData("http://evilfal.media/video.mp4")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://localhost/video.mp4")]
    [InlineData("http://127.0.0.1:7072/video.mp4")]
    public void EnsureAllowed_HostNotAllowedWhenHttpAllowed_Throws(string url)
    {
        Assert.Throws<DownloadRefusedException>(() => Policy(allowHttp: true).EnsureAllowed(new Uri(url)));
    }

    [Theory]
    [InlineData("ftp://fal.media/video.mp4")]
    [InlineData("file:///etc/passwd")]
    [InlineData("wss://fal.media/video.mp4")]
    [InlineData("gopher://fal.media/video.mp4")]
    public void EnsureAllowed_OtherScheme_Throws(string url)
    {
        Assert.Throws<DownloadRefusedException>(() => Policy().EnsureAllowed(new Uri(url)));
        Assert.Throws<DownloadRefusedException>(() => Policy(allowHttp: true).EnsureAllowed(new Uri(url)));
    }

    [Fact]
    public void EnsureAllowed_RefusedHost_MessageNamesTheHost()
    {
        var e = Assert.Throws<DownloadRefusedException>(() => Policy().EnsureAllowed(new Uri("https://fal.media.evil.com/x.mp4")));

        Assert.Contains("fal.media.evil.com", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureAllowed_WildcardPattern_DoesNotMatchTheBareDomain()
    {
        var policy = Policy(false, "*.fal.media");

        policy.EnsureAllowed(new Uri("https://v3b.fal.media/x.mp4"));
        Assert.Throws<DownloadRefusedException>(() => policy.EnsureAllowed(new Uri("https://fal.media/x.mp4")));
        Assert.Throws<DownloadRefusedException>(() => policy.EnsureAllowed(new Uri("https://evilfal.media/x.mp4")));
    }

    [Fact]
    public void EnsureAllowed_ConfiguredEmulatorHostOverHttp_DoesNotThrow()
    {
        var policy = Policy(true, "127.0.0.1");

        policy.EnsureAllowed(new Uri("http://127.0.0.1:7072/files/x.mp4"));
        Assert.Throws<DownloadRefusedException>(() => policy.EnsureAllowed(new Uri("https://v3b.fal.media/x.mp4")));
    }

    [Fact]
    public void EnsureAllowed_EmptyHostList_RefusesEverything()
    {
        var policy = new MediaDownloadPolicy(MsOptions.Create(new PipelineOptions { MediaHosts = [] }));

        Assert.Throws<DownloadRefusedException>(() => policy.EnsureAllowed(new Uri("https://fal.media/x.mp4")));
    }

    [Fact]
    public void DefaultOptions_MediaHostsAndHttp_AreFalsCdnOverHttps()
    {
        var options = new PipelineOptions();

        Assert.Equal(["fal.media", "*.fal.media", "storage.googleapis.com"], options.MediaHosts);
        Assert.False(options.AllowHttpDownloads);
    }
}
