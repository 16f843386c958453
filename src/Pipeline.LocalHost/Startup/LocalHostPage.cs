using Pipeline.Http.Page;

namespace Pipeline.LocalHost.Startup;

/// <summary>
/// The videos page at <c>/</c>, itself and not a redirect, so that a readiness check that waits for 200 on <c>/</c> sees
/// the host ready; its <see cref="LocalPipelineHost.ModeHeader"/> says whether the host serves or runs one job.
/// </summary>
internal static class LocalHostPage
{
    public static WebApplication MapLocalHostPage(this WebApplication app, bool oneShot)
    {
        app.MapGet("/", (HttpResponse response) =>
        {
            response.Headers[LocalPipelineHost.ModeHeader] = oneShot ? LocalPipelineHost.OneShotMode : LocalPipelineHost.ServingMode;
            return VideosPage.Serve(null, response);
        }).ExcludeFromDescription();
        return app;
    }
}
