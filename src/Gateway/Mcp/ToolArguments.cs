using System.Text.Json;
using Hourdini.Grains.Common;
using ModelContextProtocol.Protocol;

namespace Hourdini.Gateway.Mcp;

/// <summary>
/// Checks a tool call's arguments against the tool's input schema before it runs, so a wrong type,
/// a missing or an unknown argument is refused with the API's <c>validation_failed</c> and a message
/// that names the argument (instead of a bare "an error occurred").
/// </summary>
public static class ToolArguments
{
    public static Refusal? Check(Tool tool, IDictionary<string, JsonElement>? arguments)
    {
        var schema = tool.InputSchema;
        var properties = schema.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        arguments ??= new Dictionary<string, JsonElement>();

        foreach (var (name, value) in arguments)
        {
            if (properties.ValueKind != JsonValueKind.Object || !properties.TryGetProperty(name, out var property))
            {
                return Refusal.Invalid($"{tool.Name} has no argument \"{Clip(name)}\". Its arguments are: {string.Join(", ", Names(properties))}.");
            }

            if (!Fits(property, value, out var expected))
            {
                return Refusal.Invalid($"{name} must be {expected}.");
            }
        }

        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
            {
                if (!arguments.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null)
                {
                    return Refusal.Invalid($"{name} is required.");
                }
            }
        }

        return null;
    }

    private static bool Fits(JsonElement property, JsonElement value, out string expected)
    {
        var types = property.TryGetProperty("type", out var type)
            ? type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToArray() : [type.GetString()!]
            : [];
        expected = string.Join(" or ", types.Select(t => t switch
        {
            "string" => "a string",
            "integer" => "a whole number",
            "number" => "a number",
            "boolean" => "true or false",
            "array" => "an array of strings",
            "object" => "a JSON object",
            _ => t,
        }));
        return types.Length == 0 || types.Any(t => t switch
        {
            "null" => value.ValueKind == JsonValueKind.Null,
            "string" => value.ValueKind == JsonValueKind.String,
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            "number" => value.ValueKind == JsonValueKind.Number,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "array" => value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String),
            "object" => value.ValueKind == JsonValueKind.Object,
            _ => false,
        });
    }

    private static IEnumerable<string> Names(JsonElement properties) =>
        properties.ValueKind == JsonValueKind.Object ? properties.EnumerateObject().Select(p => p.Name) : [];

    private static string Clip(string name) => name.Length <= 40 ? name : name[..40] + "…";
}
