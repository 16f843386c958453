using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Pipeline.Core.Contract;

/// <summary>
/// JSON Schemas (draft 2020-12) of the types the pipeline sends, generated from those types themselves, so that the
/// published contract cannot drift from the code: property names, required members, nullability and enum values are
/// read from the records and their converters. Unknown members are refused (<c>additionalProperties: false</c>), so a
/// field the code adds without the contract fails the contract tests.
/// </summary>
public static class ContractSchemas
{
    public const string Draft = "https://json-schema.org/draft/2020-12/schema";

    private static readonly JsonSerializerOptions Exported = new(JsonSerializerDefaults.General)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The schema of <paramref name="type"/> as it is serialized, inline (no references).</summary>
    public static JsonObject Of(Type type) =>
        Exported.GetJsonSchemaAsNode(type, new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = WithDefaultValue,
        }).AsObject();

    /// <summary>
    /// The exporter writes the <c>default</c> of a constructor parameter; a property outside the constructor states
    /// its own with <see cref="DefaultValueAttribute"/> (an optional field of a record kept to a few parameters).
    /// </summary>
    private static JsonNode WithDefaultValue(JsonSchemaExporterContext context, JsonNode schema)
    {
        var stated = context.PropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(DefaultValueAttribute), inherit: false);
        if (stated is [DefaultValueAttribute { Value: var value }] && schema is JsonObject property && !property.ContainsKey("default"))
        {
            property["default"] = JsonSerializer.SerializeToNode(value, context.PropertyInfo!.PropertyType, Exported);
        }

        return schema;
    }

    /// <summary>Makes <paramref name="properties"/> of <paramref name="schema"/> required and never null.</summary>
    public static JsonObject Requiring(JsonObject schema, params string[] properties)
    {
        var required = schema["required"] as JsonArray ?? [];
        foreach (var name in properties)
        {
            if (!required.Any(r => r!.GetValue<string>() == name))
            {
                required.Add(name);
            }

            if (schema["properties"]?[name] is JsonObject property && property["type"] is JsonArray types)
            {
                var nonNull = types.Where(t => t!.GetValue<string>() != "null").Select(t => t!.GetValue<string>()).ToList();
                property["type"] = nonNull.Count == 1 ? nonNull[0] : new JsonArray([.. nonNull.Select(t => (JsonNode)t)]);
            }
        }

        schema["required"] = required;
        return schema;
    }
}
