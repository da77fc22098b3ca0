using System.Globalization;
using Hourdini.Grains.Sessions;

namespace Hourdini.Gateway.Web;

/// <summary>How the web app writes durations, times and money.</summary>
public static class Format
{
    private static readonly CultureInfo Culture = CultureInfo.GetCultureInfo("en-US");

    /// <summary>h:mm:ss, as a stopwatch shows it.</summary>
    public static string Clock(long seconds)
    {
        seconds = Math.Max(0, seconds);
        return string.Create(Culture, $"{seconds / 3600}:{seconds % 3600 / 60:00}:{seconds % 60:00}");
    }

    public static string Time(DateTimeOffset at) => at.ToString("HH:mm", Culture);

    /// <summary>A moment of a timeline: quick beats a few seconds apart read apart.</summary>
    public static string TimeWithSeconds(DateTimeOffset at) => at.ToString("HH:mm:ss", Culture);

    public static string Day(DateTimeOffset at) => at.ToString("dddd, d MMMM yyyy", Culture);

    public static string DateTime(DateTimeOffset at) => at.ToString("d MMM yyyy, HH:mm", Culture);

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    public static string Money(decimal amount, string currency) => string.Create(Culture, $"{amount:N2} {currency}");

    public static string Kind(BeatKind kind) => kind switch
    {
        BeatKind.Active => "Active",
        BeatKind.Agent => "Agent",
        _ => "Idle",
    };
}
