using System.Text.Json.Nodes;
using Pipeline.Core.Requests;
using Pipeline.Core.Storage;

namespace Pipeline.Core.Inbox;

/// <summary>
/// Folder presets: a <c>_preset.json</c> in an inbox folder gives defaults to every drop in that folder and below
/// (images, lone requests, manifest rows). The nearest preset wins over farther ones, field by field, and whatever
/// the drop says itself (its sidecar, its metadata, its manifest row) wins over every preset. A preset is read when
/// a drop is prepared, so changing it changes later drops only: finished ones are never run again.
/// </summary>
public class InboxPresets(PipelineStorage storage)
{
    public const string FileName = "_preset.json";

    /// <summary>The fields a preset may give.</summary>
    public static readonly IReadOnlyList<string> Fields =
        ["prompt", "resolution", "duration", "aspect_ratio", "generate_audio", "seed", "end_user_id", Correlation.Field, Variants.Field,
         Callbacks.JobCallback.UrlField, Callbacks.JobCallback.EventsField];

    public static bool IsPreset(string name) => Path.GetFileName(name).Equals(FileName, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The defaults for a drop named <paramref name="dropName"/>: every preset from the container's root down to its
    /// folder, merged.
    /// </summary>
    /// <returns>The merged fields (empty when no preset applies), or a problem naming the preset and the field.</returns>
    public virtual async Task<(JsonObject Defaults, string? Problem)> ForAsync(
        string container, string dropName, CancellationToken cancellationToken)
    {
        var defaults = new JsonObject();
        foreach (var preset in PresetNames(dropName))
        {
            var (json, problem) = await InboxJson.ReadAsync(storage, container, preset, cancellationToken);
            if (problem is not null)
            {
                return (defaults, problem);
            }

            foreach (var (field, value) in json ?? [])
            {
                if (!Fields.Contains(field))
                {
                    return (defaults, $"{preset}: '{field}' is not a preset field (presets give {string.Join(", ", Fields)})");
                }

                defaults[field] = value?.DeepClone(); // nearer presets come later and win
            }
        }

        return (defaults, null);
    }

    /// <summary>Fills in what <paramref name="body"/> does not say from <paramref name="defaults"/>.</summary>
    public static void Apply(JsonObject defaults, JsonObject body)
    {
        foreach (var (field, value) in defaults)
        {
            if (!body.ContainsKey(field))
            {
                body[field] = value?.DeepClone();
            }
        }
    }

    /// <summary><c>a/b/x.jpg</c> → <c>_preset.json</c>, <c>a/_preset.json</c>, <c>a/b/_preset.json</c>: farthest first.</summary>
    private static IEnumerable<string> PresetNames(string dropName)
    {
        var folders = dropName.Split('/')[..^1];
        for (var depth = 0; depth <= folders.Length; depth++)
        {
            yield return string.Join('/', folders[..depth].Append(FileName));
        }
    }
}
