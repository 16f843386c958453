using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Moq;
using Pipeline.Core.Orchestrations;

namespace Pipeline.UnitTests.Api;

/// <summary>
/// A Moq <see cref="DurableTaskClient"/> (abstract; Microsoft's documented approach) holding at most one instance.
/// Every <c>GetInstanceAsync</c> overload reaches the abstract <c>GetInstancesAsync</c> (CallBase), which answers as
/// the real clients do: the serialized fields always, a <see cref="OrchestrationMetadata.DataConverter"/> (so the
/// <c>Read*As</c> methods work) only when inputs and outputs were asked for.
/// </summary>
internal sealed class ClientHarness
{
    private readonly List<(string Id, bool GetInputsAndOutputs)> _lookups = [];

    public ClientHarness()
    {
        Client = new Mock<DurableTaskClient>(MockBehavior.Loose, "test-client") { CallBase = true };
        Client.Setup(c => c.GetInstancesAsync(It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .Returns((string id, bool getInputsAndOutputs, CancellationToken _) =>
            {
                _lookups.Add((id, getInputsAndOutputs));
                var instance = Instances.Count > 0 ? Instances.Dequeue() : Instance;
                return Task.FromResult(instance is null ? null : Fetched(instance, getInputsAndOutputs));
            });
        Client.Setup(c => c.RaiseEventAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<object?>(), It.IsAny<CancellationToken>()))
            .Returns(Task.CompletedTask);
        Client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .Returns((TaskName _, object? _, StartOrchestrationOptions? options, CancellationToken _) => Task.FromResult(options?.InstanceId ?? "generated"));
    }

    public Mock<DurableTaskClient> Client { get; }

    /// <summary>The instance every lookup finds (null: none), unless <see cref="Instances"/> has answers queued.</summary>
    public OrchestrationMetadata? Instance { get; set; }

    /// <summary>Answers for the next lookups, in order; then <see cref="Instance"/>.</summary>
    public Queue<OrchestrationMetadata?> Instances { get; } = new();

    /// <summary>
    /// Hands out a data converter even when inputs were not asked for. No real client does that; only for tests of
    /// logic behind a lookup made without inputs that then reads the custom status (see the FalWebhookReceiver bug test).
    /// </summary>
    public bool AlwaysReadable { get; set; }

    public IReadOnlyList<(string Id, bool GetInputsAndOutputs)> Lookups => _lookups;

    public static OrchestrationMetadata Metadata(
        string id, OrchestrationRuntimeStatus status, object? input = null, object? output = null, object? customStatus = null, TaskFailureDetails? failure = null) =>
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

    private OrchestrationMetadata Fetched(OrchestrationMetadata m, bool getInputsAndOutputs) =>
        new(m.Name, m.InstanceId)
        {
            RuntimeStatus = m.RuntimeStatus,
            CreatedAt = m.CreatedAt,
            LastUpdatedAt = m.LastUpdatedAt,
            SerializedInput = m.SerializedInput,
            SerializedOutput = m.SerializedOutput,
            SerializedCustomStatus = m.SerializedCustomStatus,
            FailureDetails = m.FailureDetails,
            DataConverter = getInputsAndOutputs || AlwaysReadable ? JsonDataConverter.Default : null,
        };
}
