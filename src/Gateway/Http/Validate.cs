using System.Globalization;
using System.Text.Json;
using Hourdini.Grains.Common;

namespace Hourdini.Gateway.Http;

/// <summary>Input checks shared by every endpoint; each failure is a 422 naming the field.</summary>
public static class Validate
{
    public static string Text(string? value, string field, int maxLength)
    {
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            throw Refusal.Invalid($"{field} is required.").About(field);
        }

        return OptionalText(text, field, maxLength)!;
    }

    public static string? OptionalText(string? value, string field, int maxLength)
    {
        var text = value?.Trim();
        if (text is null)
        {
            return null;
        }

        if (text.Length > maxLength)
        {
            throw Refusal.Invalid($"{field} must be at most {maxLength} characters.").About(field);
        }

        if (text.Any(c => char.IsControl(c) && c is not '\n' and not '\t') || text.Any(char.IsSurrogate) && !IsWellFormed(text))
        {
            throw Refusal.Invalid($"{field} contains characters that are not allowed.").About(field);
        }

        return text;
    }

    /// <summary>The earliest moment a client may name (R24).</summary>
    public static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// R24: a timestamp the client sends lies between 2000-01-01 and one day from now. Checked before any arithmetic on it,
    /// so 9999-12-31T23:00Z plus an hour is a 422, not an overflow.
    /// </summary>
    public static DateTimeOffset Instant(DateTimeOffset value, string field, DateTimeOffset now) =>
        value < Earliest || value > now.AddDays(1)
            ? throw Refusal.Invalid($"{field} must lie between 2000-01-01 and one day from now.").About(field)
            : value.ToUniversalTime();

    public static DateTimeOffset? OptionalInstant(DateTimeOffset? value, string field, DateTimeOffset now) =>
        value is { } instant ? Instant(instant, field, now) : null;

    /// <summary>
    /// R24: every string in a free-form JSON value (names and values, at any depth) is valid Unicode without NUL, which
    /// PostgreSQL's jsonb refuses at commit. A lone UTF-16 surrogate sent escaped (a backslash-u D800) is caught here.
    /// </summary>
    public static void JsonText(JsonElement value, string field)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    UnicodeText(() => property.Name, field);
                    JsonText(property.Value, field);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    JsonText(item, field);
                }

                break;
            case JsonValueKind.String:
                UnicodeText(() => value.GetString()!, field);
                break;
        }
    }

    private static void UnicodeText(Func<string> read, string field)
    {
        string text;
        try
        {
            text = read();
        }
        catch (InvalidOperationException)
        {
            throw Refusal.Invalid($"{field} contains text that is not valid Unicode.").About(field);
        }

        if (text.Contains('\0') || (text.Any(char.IsSurrogate) && !IsWellFormed(text)))
        {
            throw Refusal.Invalid($"{field} contains text that is not valid Unicode, or a NUL character.").About(field);
        }
    }

    /// <summary>An id from a URL or body. One that cannot be ours is simply unknown (404).</summary>
    public static Guid Id(string? value, string what) =>
        Guid.TryParse(value, CultureInfo.InvariantCulture, out var id) ? id : throw Refusal.NotFound(what);

    public static Guid? OptionalId(string? value, string what) => value is null ? null : Id(value, what);

    public static decimal Money(decimal? value, string field)
    {
        if (value is not { } amount)
        {
            throw Refusal.Invalid($"{field} is required.").About(field);
        }

        return amount is < 0 or > 1_000_000_000 || decimal.Round(amount, 2) != amount
            ? throw Refusal.Invalid($"{field} must be between 0 and 1,000,000,000 with at most two decimals.").About(field)
            : amount;
    }

    public static IReadOnlyList<string> Tags(IReadOnlyList<string?>? tags)
    {
        if (tags is null)
        {
            return [];
        }

        if (tags.Count > 20)
        {
            throw Refusal.Invalid("At most 20 tags are allowed.");
        }

        return tags.Select(tag => Text(tag, "tags[]", 50)).Distinct(StringComparer.Ordinal).ToList();
    }

    public static int Limit(int? limit) => limit switch
    {
        null => 50,
        < 1 or > 200 => throw Refusal.Invalid("limit must be between 1 and 200."),
        { } value => value,
    };

    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }
}
