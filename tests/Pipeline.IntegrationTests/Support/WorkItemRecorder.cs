using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using P = Microsoft.DurableTask.Protobuf;

namespace Pipeline.IntegrationTests.Support;

/// <summary>One orchestrator episode as the worker saw it: the history it was given and the actions it answered with.</summary>
public sealed record RecordedEpisode(P.OrchestratorRequest Request, P.OrchestratorResponse Response);

/// <summary>
/// A gRPC interceptor on the durable worker's channel that keeps every orchestrator episode per instance: the
/// <c>OrchestratorRequest</c> work items streamed to the worker and the <c>OrchestratorResponse</c> it completes them
/// with. Recorded episodes of one version of the orchestrator are the fixtures that the next version must replay.
/// </summary>
public sealed class WorkItemRecorder : Interceptor
{
    private readonly ConcurrentDictionary<string, P.OrchestratorRequest> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<RecordedEpisode>> _episodes = new(StringComparer.Ordinal);

    public IReadOnlyCollection<RecordedEpisode> EpisodesOf(string instanceId) =>
        _episodes.TryGetValue(instanceId, out var list) ? list : [];

    /// <summary>Runs today's orchestrator on an episode's history, as the Functions host would.</summary>
    public static P.OrchestratorResponse Replay(P.OrchestratorRequest request)
    {
        var response = Microsoft.DurableTask.Worker.Grpc.GrpcOrchestrationRunner.LoadAndRun<Core.Jobs.VideoJob, Core.Jobs.VideoJobResult>(
            request.ToByteString().ToBase64(),
            async (context, job) => await Core.Orchestrations.VideoJobOrchestrator.RunAsync(context, job!));
        return P.OrchestratorResponse.Parser.ParseFrom(ByteString.FromBase64(response));
    }

    /// <summary>What an episode decided: each action's id, kind and target.</summary>
    public static IReadOnlyList<string> Decisions(P.OrchestratorResponse response) =>
        [
            .. response.Actions.Select(a =>
                $"{a.Id} {a.OrchestratorActionTypeCase} "
                + $"{a.ScheduleTask?.Name}{a.SendEvent?.Name}{a.CompleteOrchestration?.OrchestrationStatus}"),
        ];

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context,
        AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(request, context);
        return new AsyncServerStreamingCall<TResponse>(
            new RecordingStream<TResponse>(call.ResponseStream, this), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers,
            call.Dispose);
    }

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        if (request is P.OrchestratorResponse response && _pending.TryRemove(response.InstanceId, out var given))
        {
            _episodes.GetOrAdd(response.InstanceId, _ => new()).Enqueue(new RecordedEpisode(given, response.Clone()));
        }

        return continuation(request, context);
    }

    private void Seen(object message)
    {
        if (message is P.WorkItem { OrchestratorRequest: { } request })
        {
            _pending[request.InstanceId] = request.Clone();
        }
    }

    private sealed class RecordingStream<T>(IAsyncStreamReader<T> inner, WorkItemRecorder recorder) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            var more = await inner.MoveNext(cancellationToken);
            if (more && inner.Current is { } item)
            {
                recorder.Seen(item);
            }

            return more;
        }
    }

    /// <summary>
    /// The instance's last episode as a fixture file: the history it was given and the actions it answered with
    /// (base64 protobuf), plus a description. The replay adds the actions to the history as the backend records them.
    /// </summary>
    public string ToFixture(string description, string instanceId)
    {
        var last = EpisodesOf(instanceId).Last();
        return System.Text.Json.JsonSerializer.Serialize(
            new { description, request = last.Request.ToByteString().ToBase64(), response = last.Response.ToByteString().ToBase64() },
            Indented);
    }

    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };
}
