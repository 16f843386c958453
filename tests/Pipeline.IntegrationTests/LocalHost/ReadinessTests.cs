using System.Net;
using Pipeline.IntegrationTests.Support;

namespace Pipeline.IntegrationTests.LocalHost;

/// <summary>
/// What a readiness check meets on the local host: <c>/</c> answers the page itself with 200 (a redirect, with its empty
/// body, never satisfies a check that waits for 200), the same page as <c>/api/app/</c>.
/// </summary>
public sealed class ReadinessTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Root_AnswersThePageWith200_TheSameAsApiApp()
    {
        await using var host = await LocalHostInProcess.StartAsync();
        using var withoutRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })
        {
            BaseAddress = host.Http.BaseAddress,
        };

        using var root = await withoutRedirects.GetAsync("/", Token);
        using var app = await withoutRedirects.GetAsync("/api/app/", Token);
        var page = await root.Content.ReadAsStringAsync(Token);

        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Equal("text/html", root.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script src=\"/api/app/app.js\"", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, app.StatusCode);
        Assert.Equal(await app.Content.ReadAsStringAsync(Token), page);
    }
}
