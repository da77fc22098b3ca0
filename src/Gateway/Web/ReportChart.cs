using System.Globalization;
using Hourdini.Gateway.Api;

namespace Hourdini.Gateway.Web;

/// <summary>
/// The Reports page's stacked bars of hands-on and agent time, one per day (or per ISO week for long periods), drawn as
/// server-side SVG: bars are placed in percentages of the width and in pixels of the height, so the text stays its
/// size at any width (no viewBox scaling) and the chart reads the same on a phone and on a desktop.
/// </summary>
public sealed record ReportChart(IReadOnlyList<ReportChart.Bar> Bars, IReadOnlyList<ReportChart.Tick> Ticks, bool ByWeek)
{
    /// <summary>Periods longer than this are drawn per week.</summary>
    public const int MaxDailyBars = 62;

    public const int Height = 228;
    public const int PlotTop = 10;
    public const int Baseline = 184;
    public const int LabelY = 202;
    public const int SecondLabelY = 218;

    private static readonly CultureInfo Culture = CultureInfo.GetCultureInfo("en-US");

    /// <param name="Label">
    /// The x-axis label on two short lines ("Mon" over "30", or "30" over "Nov"), so that it fits a phone's narrow bars;
    /// null where labels are thinned out so they do not collide.
    /// </param>
    public sealed record Bar(string Key, (string Top, string Bottom)? Label, string Title, long ActiveSeconds, long AgentSeconds)
    {
        public long Total => ActiveSeconds + AgentSeconds;
    }

    public sealed record Tick(long Seconds, string Label);

    public long Max => Ticks[^1].Seconds;

    /// <summary>The bars for <paramref name="from"/> … <paramref name="to"/> from a report grouped by day or by week; gaps are zero bars.</summary>
    public static ReportChart From(Reports.Summary report, DateOnly from, DateOnly to)
    {
        var byWeek = report.GroupBy == "week";
        var groups = report.Groups.Where(g => g.Key is not null).ToDictionary(g => g.Key!, g => g);
        var starts = new List<DateOnly>();
        for (var day = byWeek ? Monday(from) : from; day <= to; day = day.AddDays(byWeek ? 7 : 1))
        {
            starts.Add(day);
        }

        var every = Math.Max(1, (int)Math.Ceiling(starts.Count / 8.0));
        var bars = starts.Select((start, i) =>
        {
            var key = byWeek ? Reports.WeekKey(start) : start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var group = groups.GetValueOrDefault(key);
            var (active, agent) = (group?.ActiveSeconds ?? 0, group?.AgentSeconds ?? 0);
            (string, string)? label = i % every != 0 ? null
                : !byWeek && starts.Count <= 7 ? (start.ToString("ddd", Culture), start.ToString("%d", Culture))
                : (start.ToString("%d", Culture), start.ToString("MMM", Culture));
            var name = byWeek ? $"Week of {start.ToString("d MMM yyyy", Culture)}" : start.ToString("ddd d MMM yyyy", Culture);
            return new Bar(key, label, $"{name}: hands-on {Format.Clock(active)}, agent {Format.Clock(agent)}", active, agent);
        }).ToList();
        return new ReportChart(bars, TicksUpTo(bars.Select(b => b.Total).DefaultIfEmpty(0).Max()), byWeek);
    }

    /// <summary>Gridlines at a round step (minutes or hours) so that at most five cover the tallest bar.</summary>
    public static IReadOnlyList<Tick> TicksUpTo(long seconds)
    {
        long[] steps = [300, 600, 900, 1800, 3600, 7200, 10800, 14400, 21600, 36000, 72000, 144000, 360000, 720000, 1440000, 3600000];
        var step = steps.FirstOrDefault(s => s * 5 >= seconds, steps[^1]);
        var count = Math.Max(1, (int)Math.Ceiling(seconds / (double)step));
        return Enumerable.Range(0, count + 1).Select(i => new Tick(i * step, Duration(i * step))).ToList();
    }

    /// <summary>A tick's or total's length: "45m", "2h", "1h 30m".</summary>
    public static string Duration(long seconds) => (seconds / 3600, seconds % 3600 / 60) switch
    {
        (0, 0) => "0",
        (0, var m) => $"{m}m",
        (var h, 0) => $"{h}h",
        (var h, var m) => $"{h}h {m}m",
    };

    /// <summary>The y of a value in pixels (0 at the baseline).</summary>
    public double Y(long seconds) => Baseline - ((Baseline - PlotTop) * (Max == 0 ? 0 : seconds / (double)Max));

    public static string Percent(double value) => value.ToString("0.###", CultureInfo.InvariantCulture) + "%";

    public static string Px(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    public double SlotWidth => 100.0 / Math.Max(1, Bars.Count);

    private static DateOnly Monday(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
}
