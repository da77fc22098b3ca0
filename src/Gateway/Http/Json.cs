using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;

namespace Hourdini.Gateway.Http;

public static class HttpSetup
{
    public static IServiceCollection AddHourdiniHttp(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.Configure<JsonOptions>(options => Configure(options.SerializerOptions));
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>snake_case names, RFC 3339 UTC times ending in Z.</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.Converters.Add(new UtcTimeConverter());
        return options;
    }

    private sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && TryParseTime(reader.GetString(), out var value)
                ? value
                : throw new JsonException("Expected an RFC 3339 timestamp, e.g. 2026-01-31T09:00:00Z.");

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Format(value));
    }

    /// <summary>An RFC 3339 date and time (with the <c>T</c>), as UTC.</summary>
    public static bool TryParseTime(string? text, out DateTimeOffset value)
    {
        var parsed = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value)
            && text!.Contains('T', StringComparison.Ordinal);
        value = value.ToUniversalTime();
        return parsed;
    }

    public static string Format(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
