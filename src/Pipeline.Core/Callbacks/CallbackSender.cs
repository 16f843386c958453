using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Pipeline.Core.Events;

namespace Pipeline.Core.Callbacks;

/// <summary>
/// Delivers one event to a job's receiver, once: the same CloudEvent the topic gets (structured JSON,
/// <c>application/cloudevents+json</c>), signed (<see cref="CallbackSigner"/>). Every address the receiver's name
/// resolves to is checked when the connection is made (so a name that resolves to a private address, or changes to one
/// between checks, is refused), redirects are not followed, and an attempt has <see cref="CallbackOptions.Timeout"/>.
/// </summary>
public sealed partial class CallbackSender(
    HttpClient http,
    IOptions<CallbackOptions> options,
    IOptions<Options.PipelineOptions> pipeline,
    TimeProvider time,
    ILogger<CallbackSender> logger)
{
    public const string HttpClientName = "callbacks";

    public async Task<CallbackAttempt> SendAsync(JobCallback callback, JobEvent jobEvent, CancellationToken cancellationToken)
    {
        var keys = options.Value.Secrets.Select(CallbackSigner.KeyOf).OfType<byte[]>().ToList();
        if (keys.Count == 0)
        {
            return new CallbackAttempt(false, null, "no signing secret is configured (CALLBACK_SECRET)");
        }

        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            JobEventPublisher.ToCloudEvent(jobEvent, pipeline.Value.EventSource));
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, callback.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(CallbackSigner.IdHeader, jobEvent.CloudEventId);
        request.Headers.TryAddWithoutValidation(
            CallbackSigner.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(
            CallbackSigner.SignatureHeader, CallbackSigner.Signature(keys, jobEvent.CloudEventId, timestamp, body));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? new CallbackAttempt(true, status, null)
                : new CallbackAttempt(false, status, status is >= 300 and < 400 ? "a redirect (not followed)" : null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new CallbackAttempt(false, null, $"no answer within {options.Value.Timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            LogFailed(jobEvent.CloudEventId, callback.Origin, e.Message);
            return new CallbackAttempt(
                false, null, e.InnerException is RefusedTargetException refused ? refused.Message : "the receiver could not be reached");
        }
    }

    /// <summary>The handler of the callback client: connects only to public addresses (unless allowed), never follows redirects.</summary>
    public static SocketsHttpHandler Handler(CallbackOptions options) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = options.Timeout,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
            var allowed = options.AllowPrivateTargets ? addresses : [.. addresses.Where(CallbackTargets.IsPublic)];
            if (addresses.Length == 0 || allowed.Length != addresses.Length)
            {
                throw new RefusedTargetException(context.DnsEndPoint.Host);
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback {EventId} to {Origin} failed: {Reason}")]
    private partial void LogFailed(string eventId, string origin, string reason);
}

/// <summary>A receiver whose name resolves to an address callbacks may not reach.</summary>
public sealed class RefusedTargetException(string host)
    : Exception($"{host} resolves to a private, loopback or link-local address; callbacks go to public addresses only");
