using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Moq;
using Pipeline.Core.Orchestrations;

namespace Pipeline.UnitTests.Api;

/// <summary>
/// A Moq <see cref="DurableTaskClient"/> (abstract; Microsoft's documented approach) holding at most one instance.
/// Every <c>GetInstanceAsync</c> overload reaches <c>GetInstanceAsync(id, getInputsAndOutputs, token)</c> (CallBase), which answers as
/// the real stack does: without <c>getInputsAndOutputs</c> the Functions host's and the test host's gRPC sidecars
/// leave out input, output, custom status and failure details (<c>CreateGetInstanceResponse</c>), and the gRPC client
/// sets no <see cref="OrchestrationMetadata.DataConverter"/> (so <c>Read*As</c> would throw).
/// </summary>
internal sealed class ClientHarness
{
    private readonly List<(string Id, bool GetInputsAndOutputs)> _lookups = [];

    public ClientHarness()
    {
        Client = new Mock<DurableTaskClient>(MockBehavior.Loose, "test-client") { CallBase = true };
        Client.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .Returns((string id, bool getInputsAndOutputs, CancellationToken _) =>
            {
                _lookups.Add((id, getInputsAndOutputs));
                var instance = Instances.Count > 0 ? Instances.Dequeue() : Instance;
                return Task.FromResult(instance is null ? null : Fetched(instance, getInputsAndOutputs));
            });
        Client.Setup(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .Returns(Task.CompletedTask);
        Client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(
                It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .Returns((TaskName _, object? _, StartOrchestrationOptions? options, CancellationToken _) =>
                Task.FromResult(options?.InstanceId ?? "generated"));
    }

    public Mock<DurableTaskClient> Client { get; }

    /// <summary>The instance every lookup finds (null: none), unless <see cref="Instances"/> has answers queued.</summary>
    public OrchestrationMetadata? Instance { get; set; }

    /// <summary>Answers for the next lookups, in order; then <see cref="Instance"/>.</summary>
    public Queue<OrchestrationMetadata?> Instances { get; } = new();

    /// <summary>
    /// Answers every lookup as if inputs and outputs were asked for. No real client does that; it lets a test reach
    /// logic that reads the custom status after a lookup made without them (see the FalWebhookReceiver bug test).
    /// </summary>
    public bool AlwaysWithInputsAndOutputs { get; set; }

    public IReadOnlyList<(string Id, bool GetInputsAndOutputs)> Lookups => _lookups;

    public static OrchestrationMetadata Metadata(
        string id,
        OrchestrationRuntimeStatus status,
        object? input = null,
        object? output = null,
        object? customStatus = null,
        TaskFailureDetails? failure = null) =>
        new(VideoJobOrchestrator.Name, id)
        {
            RuntimeStatus = status,
            CreatedAt = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero),
            LastUpdatedAt = new DateTimeOffset(2026, 5, 1, 12, 3, 0, TimeSpan.Zero),
            SerializedInput = input is null ? null : JsonSerializer.Serialize(input),
            SerializedOutput = output is null ? null : JsonSerializer.Serialize(output),
            SerializedCustomStatus = customStatus is null ? null : JsonSerializer.Serialize(customStatus),
            FailureDetails = failure,
        };

    private OrchestrationMetadata Fetched(OrchestrationMetadata m, bool getInputsAndOutputs)
    {
        var full = getInputsAndOutputs || AlwaysWithInputsAndOutputs;
        return new(m.Name, m.InstanceId)
        {
            RuntimeStatus = m.RuntimeStatus,
            CreatedAt = m.CreatedAt,
            LastUpdatedAt = m.LastUpdatedAt,
            SerializedInput = full ? m.SerializedInput : null,
            SerializedOutput = full ? m.SerializedOutput : null,
            SerializedCustomStatus = full ? m.SerializedCustomStatus : null,
            FailureDetails = full ? m.FailureDetails : null,
            DataConverter = full ? JsonDataConverter.Default : null,
        };
    }
}
