namespace FalEmulator.Recording;

/// <summary>Records every HTTP call the emulator answers; handlers say what kind of call it was.</summary>
public static class CallRecording
{
    private const string KindKey = "fal-emulator.kind";
    private const string RequestIdKey = "fal-emulator.request-id";

    public static void Classify(HttpContext http, CallKind kind, string? requestId = null)
    {
        http.Items[KindKey] = kind;
        if (requestId is not null)
        {
            http.Items[RequestIdKey] = requestId;
        }
    }

    /// <summary>
    /// Records each call as its answer starts, before any byte of it reaches the caller, so that a caller who has its
    /// answer finds the call recorded; a call whose answer never starts (a dropped connection) is recorded at its end.
    /// </summary>
    public static IApplicationBuilder UseCallRecording(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            var at = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
            var recorded = 0;
            void Record()
            {
                if (Interlocked.Exchange(ref recorded, 1) == 0)
                {
                    http.RequestServices.GetRequiredService<CallRecorder>().Record(new RecordedCall(
                        at,
                        http.Items[KindKey] as CallKind? ?? CallKind.Other,
                        http.Request.Method,
                        http.Request.Path.Value ?? "",
                        http.Request.QueryString.Value ?? "",
                        http.Response.StatusCode,
                        http.Items[RequestIdKey] as string));
                }
            }

            http.Response.OnStarting(() =>
            {
                Record();
                return Task.CompletedTask;
            });
            try
            {
                await next(http);
            }
            finally
            {
                Record();
            }
        });
}
