using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Hourdini.Gateway.OpenApi;

/// <summary>
/// How values look on the wire, where the framework cannot tell from the .NET type: times (our own converter writes RFC
/// 3339 UTC), numbers (written as numbers, though a string is read too), the fixed values of a string, money as a string,
/// and which fields of a request are required (all request fields are nullable in .NET, the handlers check them).
/// </summary>
public static class WireFormats
{
    public static async Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        var type = Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type;
        if (type == typeof(DateTimeOffset))
        {
            var nullable = type != context.JsonTypeInfo.Type || ((schema.Type ?? 0) & JsonSchemaType.Null) != 0;
            schema.Type = nullable ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String;
            schema.Format = "date-time";
        }

        // The one free-form field of a request, a session's environment (R12), is a JSON object.
        if (type == typeof(System.Text.Json.JsonElement) && IsRequest(context.JsonPropertyInfo?.DeclaringType))
        {
            schema.Type = JsonSchemaType.Object;
        }

        // JsonSerializerDefaults.Web reads "12" as 12, which the schema shows as integer-or-string; the API answers numbers.
        if (schema.Type is { } kinds && (kinds & (JsonSchemaType.Integer | JsonSchemaType.Number)) != 0 && (kinds & JsonSchemaType.String) != 0)
        {
            schema.Type = kinds & ~JsonSchemaType.String;
            schema.Pattern = null;
        }

        if (context.JsonPropertyInfo?.AttributeProvider is { } property)
        {
            await DescribePropertyAsync(schema, property, context, ct);
        }

        if (IsRequest(type) && context.JsonPropertyInfo is null)
        {
            // A request: only what the surface's handler refuses without is required.
            schema.Required = new HashSet<string>(type.GetCustomAttribute<RequiresAttribute>(inherit: false)?.Fields ?? []);
        }
    }

    /// <summary>Requests are records nested in their surface's class in Hourdini.Gateway.Api (Timer.StartRequest).</summary>
    private static bool IsRequest(Type? type) => type is { IsNested: true, DeclaringType.Namespace: var ns } && ns == typeof(Api.Work).Namespace;

    private static async Task DescribePropertyAsync(OpenApiSchema schema, ICustomAttributeProvider property, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        var nullable = schema.Type is { } t && (t & JsonSchemaType.Null) != 0;
        if (Attribute<ValuesAttribute>(property) is { } values)
        {
            schema.Enum = [.. values.Values.Select(v => (JsonNode)JsonValue.Create(v)!)];
            if (nullable)
            {
                schema.Enum.Add(null!);
            }
        }

        if (Attribute<PersonOnlyAttribute>(property) is not null && schema.Type is { } kinds)
        {
            schema.Type = kinds & ~JsonSchemaType.Null;
            schema.Description ??= "Absent for agent tokens (R22).";
        }

        if (Attribute<MoneyAttribute>(property) is not null)
        {
            schema.Pattern = @"^-?\d+\.\d{2}$";
            schema.Description ??= "Money as a string with 2 decimals, e.g. \"123.45\".";
        }

        if (Attribute<DayAttribute>(property) is not null)
        {
            schema.Format = "date";
        }

        if (Attribute<EitherOfAttribute>(property) is { } either)
        {
            var choices = new List<IOpenApiSchema>();
            foreach (var choice in either.Types)
            {
                choices.Add(await context.GetOrCreateSchemaAsync(choice, null, ct));
            }

            var oneOfThem = new OpenApiSchema { AnyOf = choices };
            if (context.JsonPropertyInfo!.PropertyType != typeof(object))
            {
                schema.Type = JsonSchemaType.Array;
                schema.Items = oneOfThem;
            }
            else
            {
                schema.Type = null;
                schema.AnyOf = choices;
            }
        }
    }

    private static T? Attribute<T>(ICustomAttributeProvider provider) where T : Attribute =>
        provider.GetCustomAttributes(typeof(T), inherit: true).OfType<T>().FirstOrDefault();
}

/// <summary>The fields a request must have (snake_case), for the document; the handler refuses a request without them.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RequiresAttribute(params string[] fields) : Attribute
{
    public IReadOnlyList<string> Fields { get; } = fields;
}
