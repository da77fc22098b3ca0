using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// Sends real requests and checks each answer against the served OpenAPI document: its status is one the operation
/// documents, and its body matches the documented schema exactly (every required field there, no undocumented field,
/// types, enums, formats and patterns as stated). What it checked is kept, so a test can say how much it covered.
/// </summary>
public sealed class DocumentedAnswers(JsonNode document)
{
    public HashSet<string> Checked { get; } = [];

    /// <summary>Sends <paramref name="template"/> with its <c>{…}</c> filled by <paramref name="ids"/> in order, and checks the answer.</summary>
    public async Task<Reply> SendAsync(ApiClient client, HttpMethod method, string template, object? body = null, params string[] ids)
    {
        var path = template;
        foreach (var id in ids)
        {
            path = Regex.Replace(path, @"\{[a-z_]+\}", id.Replace("$", "$$", StringComparison.Ordinal), RegexOptions.None, TimeSpan.FromSeconds(1));
        }

        var reply = await client.SendAsync(method, path, body);
        Check(method.Method.ToLowerInvariant(), template.Split('?')[0], reply);
        return reply;
    }

    public void Check(string method, string template, Reply reply)
    {
        var operation = document["paths"]?[template]?[method]
            ?? throw new Xunit.Sdk.XunitException($"{method.ToUpperInvariant()} {template} is not in the document.");
        var status = ((int)reply.Status).ToString(CultureInfo.InvariantCulture);
        var response = operation["responses"]?[status]
            ?? throw new Xunit.Sdk.XunitException($"{method.ToUpperInvariant()} {template} answered {status}, which the document does not list: {reply.Body}");
        Checked.Add($"{method.ToUpperInvariant()} {template} {status}");

        var content = response["content"]?.AsObject();
        if (reply.Body.ValueKind == JsonValueKind.Undefined)
        {
            Assert.True(content is null || content.Count == 0, $"{method.ToUpperInvariant()} {template} {status} documents a body but answered none.");
            return;
        }

        var media = (int)reply.Status >= 400 ? "application/problem+json" : "application/json";
        var schema = content?[media]?["schema"]
            ?? throw new Xunit.Sdk.XunitException($"{method.ToUpperInvariant()} {template} {status} answered a body the document does not describe ({media}).");
        var errors = new List<string>();
        Validate(reply.Body, schema, "$", errors);
        Assert.True(errors.Count == 0, $"{method.ToUpperInvariant()} {template} {status} does not match its schema:\n{string.Join('\n', errors)}\n{reply.Body}");
    }

    private JsonNode Resolve(JsonNode schema) =>
        schema["$ref"] is { } reference
            ? Resolve(document["components"]!["schemas"]![((string)reference!)["#/components/schemas/".Length..]]!)
            : schema;

    private void Validate(JsonElement value, JsonNode schemaOrRef, string at, List<string> errors)
    {
        var schema = Resolve(schemaOrRef);
        foreach (var (keyword, exactlyOne) in new[] { ("oneOf", true), ("anyOf", false) })
        {
            if (schema[keyword] is JsonArray choices)
            {
                var matches = choices.Count(c => Matches(value, c!, at));
                if (exactlyOne ? matches != 1 : matches == 0)
                {
                    errors.Add($"{at}: matches {matches} of the {keyword} schemas");
                }

                return;
            }
        }

        if (schema["type"] is { } type)
        {
            var allowed = type is JsonArray many ? many.Select(t => (string)t!).ToList() : [(string)type!];
            if (!allowed.Any(t => IsOfType(value, t)))
            {
                errors.Add($"{at}: {value.ValueKind} where the document says {string.Join(" or ", allowed)}");
                return;
            }
        }

        if (schema["enum"] is JsonArray values && !values.Any(v => v is null ? value.ValueKind == JsonValueKind.Null : v.ToJsonString() == value.GetRawText()))
        {
            errors.Add($"{at}: {value.GetRawText()} is not one of {values.ToJsonString()}");
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString()!;
            if (schema["pattern"] is { } pattern && !Regex.IsMatch(text, (string)pattern!, RegexOptions.None, TimeSpan.FromSeconds(1)))
            {
                errors.Add($"{at}: \"{text}\" does not match {pattern}");
            }

            if ((string?)schema["format"] == "date-time" && !Regex.IsMatch(text, @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", RegexOptions.None, TimeSpan.FromSeconds(1)))
            {
                errors.Add($"{at}: \"{text}\" is not an RFC 3339 UTC time");
            }
        }

        if (value.ValueKind == JsonValueKind.Object && schema["properties"] is JsonObject properties)
        {
            foreach (var required in schema["required"]?.AsArray() ?? [])
            {
                if (!value.TryGetProperty((string)required!, out _))
                {
                    errors.Add($"{at}.{required}: required by the document, absent");
                }
            }

            foreach (var property in value.EnumerateObject())
            {
                if (properties[property.Name] is { } propertySchema)
                {
                    Validate(property.Value, propertySchema, $"{at}.{property.Name}", errors);
                }
                else if (schema["additionalProperties"] is not JsonObject && schema["additionalProperties"]?.GetValue<bool>() != true)
                {
                    errors.Add($"{at}.{property.Name}: not in the document");
                }
            }
        }

        if (value.ValueKind == JsonValueKind.Array && schema["items"] is { } items)
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                Validate(item, items, $"{at}[{i++}]", errors);
            }
        }
    }

    private bool Matches(JsonElement value, JsonNode schema, string at)
    {
        var errors = new List<string>();
        Validate(value, schema, at, errors);
        return errors.Count == 0;
    }

    private static bool IsOfType(JsonElement value, string type) => type switch
    {
        "null" => value.ValueKind == JsonValueKind.Null,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "number" => value.ValueKind == JsonValueKind.Number,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        _ => false,
    };
}
