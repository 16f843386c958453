using System.Text.Json.Nodes;
using Pipeline.Core.Contract;

namespace Pipeline.UnitTests.Contract;

/// <summary>
/// The published event schemas (<c>schemas/events/</c>) are the ones the code generates from its event type: a change
/// to the event's shape without the files fails here. <c>UPDATE_CONTRACT=1</c> writes the files instead.
/// </summary>
public sealed class EventSchemaFilesTests
{
    public static TheoryData<string> Types() => [.. EventSchemas.Types];

    [Theory]
    [MemberData(nameof(Types))]
    public void PublishedFile_IsTheGeneratedSchema(string type)
    {
        var file = Path.Combine(RepositoryRoot(), "schemas", "events", EventSchemas.FileName(type));
        var generated = EventSchemas.For(type);
        if (Environment.GetEnvironmentVariable("UPDATE_CONTRACT") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, generated.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        }

        Assert.True(File.Exists(file), $"{file} is missing: run the unit tests with UPDATE_CONTRACT=1");
        Assert.True(JsonNode.DeepEquals(generated, JsonNode.Parse(File.ReadAllText(file))),
            $"{file} differs from the event type's schema: run the unit tests with UPDATE_CONTRACT=1 and review the change");
    }

    [Fact]
    public void ASucceededEvent_RequiresItsVideo_AndAFailedOneItsError()
    {
        var succeeded = EventSchemas.For(Pipeline.Core.Events.JobEventTypes.Succeeded);
        var failed = EventSchemas.For(Pipeline.Core.Events.JobEventTypes.Failed);

        Assert.Contains("video", succeeded["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal("object", succeeded["properties"]!["video"]!["type"]!.GetValue<string>());
        Assert.Contains("error", failed["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.False(succeeded["additionalProperties"]!.GetValue<bool>());
        Assert.Equal(
            ["text-to-video", "image-to-video", "reference-to-video"],
            succeeded["properties"]!["mode"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Pipeline.sln not found");
    }
}
