using System.Globalization;
using Hourdini.Grains.Common;

namespace Hourdini.Gateway.Http;

/// <summary>The <c>tz</c> a caller names (IANA, default UTC) and the local days and instants of a period in it (R28–R30).</summary>
public static partial class Zones
{
    /// <summary>An IANA zone name, or UTC when none is given; an unknown one is a 422.</summary>
    public static TimeZoneInfo Parse(string? tz)
    {
        if (string.IsNullOrEmpty(tz))
        {
            return TimeZoneInfo.Utc;
        }

        // Only IANA-shaped names are looked up, so a name cannot point at a file elsewhere.
        return tz.Length < 64 && ZoneName().IsMatch(tz) && TimeZoneInfo.TryFindSystemTimeZoneById(tz, out var zone)
            ? zone
            : throw Refusal.Invalid($"tz must be an IANA time zone such as Europe/Berlin; \"{Shorten(tz)}\" is not one.", "unknown_time_zone");
    }

    /// <summary>
    /// A period bound: a day (<c>2026-11-01</c>, its midnight in <paramref name="zone"/>; for <paramref name="isEnd"/> the
    /// midnight after it, so a day names the whole day) or an RFC 3339 instant.
    /// </summary>
    public static DateTimeOffset Bound(string? value, string field, TimeZoneInfo zone, bool isEnd)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw Refusal.Invalid($"{field} is required (a day such as 2026-11-01 or an RFC 3339 time).");
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            && day.Year is >= 2000 and < 2100)
        {
            return StartOf(isEnd ? day.AddDays(1) : day, zone);
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            && at >= Validate.Earliest && at.Year < 2100
            ? at.ToUniversalTime()
            : throw Refusal.Invalid($"{field} must be a day (YYYY-MM-DD) or an RFC 3339 time between 2000 and 2099.");
    }

    /// <summary>The instant a local day begins in <paramref name="zone"/> (a midnight skipped by a clock change: the first hour after it).</summary>
    public static DateTimeOffset StartOf(DateOnly day, TimeZoneInfo zone)
    {
        var midnight = day.ToDateTime(TimeOnly.MinValue);
        while (zone.IsInvalidTime(midnight))
        {
            midnight = midnight.AddHours(1);
        }

        return new DateTimeOffset(midnight, zone.GetUtcOffset(midnight)).ToUniversalTime();
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$")]
    private static partial System.Text.RegularExpressions.Regex ZoneName();
}
