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

    public static IApplicationBuilder UseCallRecording(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            var at = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
            try
            {
                await next(http);
            }
            finally
            {
                var recorder = http.RequestServices.GetRequiredService<CallRecorder>();
                recorder.Record(new RecordedCall(
                    at,
                    http.Items[KindKey] as CallKind? ?? CallKind.Other,
                    http.Request.Method,
                    http.Request.Path.Value ?? "",
                    http.Request.QueryString.Value ?? "",
                    http.Response.StatusCode,
                    http.Items[RequestIdKey] as string));
            }
        });
}
