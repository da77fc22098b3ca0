using System.Text.Json;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Common;
using ModelContextProtocol.Protocol;

namespace Hourdini.Gateway.Mcp;

/// <summary>
/// Checks a tool call's arguments against the tool's input schema before it runs, so what the schema promises is what is
/// enforced: a wrong type, a value outside its <c>enum</c>, <c>minimum</c>/<c>maximum</c> or <c>maxLength</c>, a time that is
/// not <c>date-time</c>, a missing or an unknown argument is refused with the API's <c>validation_failed</c> and a message
/// that names the argument. A null optional argument counts as not given.
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

            if (value.ValueKind != JsonValueKind.Null && Problem(property, value) is { } problem)
            {
                return Refusal.Invalid($"{name} must be {problem}.");
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

    /// <summary>What <paramref name="value"/> should have been, or null when it fits.</summary>
    private static string? Problem(JsonElement property, JsonElement value)
    {
        var type = property.TryGetProperty("type", out var t) ? t.GetString() : null;
        var fits = type switch
        {
            "string" => value.ValueKind == JsonValueKind.String,
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            "number" => value.ValueKind == JsonValueKind.Number,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "array" => value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String),
            "object" => value.ValueKind == JsonValueKind.Object,
            _ => true,
        };
        if (!fits)
        {
            return type switch
            {
                "string" => "a string",
                "integer" => "a whole number",
                "number" => "a number",
                "boolean" => "true or false",
                "array" => "an array of strings",
                _ => "a JSON object",
            };
        }

        if (property.TryGetProperty("enum", out var values) && !values.EnumerateArray().Any(v => v.ValueKind == value.ValueKind && v.GetRawText() == value.GetRawText()))
        {
            return "one of " + string.Join(", ", values.EnumerateArray().Select(v => v.GetRawText()));
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number)
            && ((property.TryGetProperty("minimum", out var min) && number < min.GetDouble()) || (property.TryGetProperty("maximum", out var max) && number > max.GetDouble())))
        {
            return $"between {Bound(property, "minimum")} and {Bound(property, "maximum")}";
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString()!;
            if (property.TryGetProperty("maxLength", out var maxLength) && text.Length > maxLength.GetInt32())
            {
                return $"at most {maxLength.GetInt32()} characters";
            }

            if (property.TryGetProperty("format", out var format) && format.GetString() == "date-time" && !HttpSetup.TryParseTime(text, out _))
            {
                return "an RFC 3339 timestamp, e.g. 2026-11-20T09:00:00Z";
            }
        }

        return null;
    }

    private static string Bound(JsonElement property, string name) => property.TryGetProperty(name, out var bound) ? bound.GetRawText() : "any";

    private static IEnumerable<string> Names(JsonElement properties) =>
        properties.ValueKind == JsonValueKind.Object ? properties.EnumerateObject().Select(p => p.Name) : [];

    private static string Clip(string name) => name.Length <= 40 ? name : name[..40] + "…";
}
