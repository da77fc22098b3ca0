using System.Globalization;
using Hourdini.Gateway.Api;
using Hourdini.Silo.Storage.Reports;
using Microsoft.AspNetCore.Mvc;

namespace Hourdini.Gateway.Web.Pages;

/// <summary>
/// /reports (R28): a period's hands-on and agent time per day (or week) as a stacked bar chart, a breakdown by client,
/// project or agent with amounts per currency (R20), and the period's export. Days are the browser's (the tz cookie).
/// </summary>
public sealed class ReportsModel(ReportStore reports) : AppPage
{
    public static readonly IReadOnlyList<(string Id, string Name)> Periods =
        [("this-week", "This week"), ("last-week", "Last week"), ("this-month", "This month"), ("last-month", "Last month"), ("custom", "Custom")];

    public static readonly IReadOnlyList<(string Id, string Name)> Breakdowns = [("client", "Client"), ("project", "Project"), ("agent", "Agent")];

    public string Period { get; private set; } = "this-week";

    public string By { get; private set; } = "client";

    public DateOnly From { get; private set; }

    public DateOnly To { get; private set; }

    public string? Error { get; private set; }

    public Reports.Summary Breakdown { get; private set; } = null!;

    public ReportChart Chart { get; private set; } = null!;

    public IReadOnlyList<Reports.Total> Totals { get; private set; } = [];

    public string TimeZone => Shell.Zone.Id;

    public long ActiveSeconds => Totals.Sum(t => t.ActiveSeconds);

    public long AgentSeconds => Totals.Sum(t => t.AgentSeconds);

    public long BillableSeconds => Totals.Sum(t => t.BillableSeconds);

    public string PeriodName => Periods.First(p => p.Id == Period).Name;

    public async Task OnGetAsync([FromQuery] string? period, [FromQuery] string? from, [FromQuery] string? to, [FromQuery] string? by)
    {
        By = Breakdowns.Any(b => b.Id == by) ? by! : "client";
        Period = Periods.Any(p => p.Id == period) ? period! : from is null && to is null ? "this-week" : "custom";
        (From, To) = Range(Period, Shell.Today, from, to);

        var start = Reports.StartOf(From, Shell.Zone);
        var end = Reports.StartOf(To.AddDays(1), Shell.Zone);
        var ct = HttpContext.RequestAborted;
        var perBar = To.DayNumber - From.DayNumber + 1 > ReportChart.MaxDailyBars ? ReportGrouping.Week : ReportGrouping.Day;
        var bars = await Reports.SummarizeAsync(Caller, reports, start, end, perBar, TimeZone, ct);
        Breakdown = await Reports.SummarizeAsync(Caller, reports, start, end, Reports.Groupings[By], TimeZone, ct);
        Chart = ReportChart.From(bars, From, To);
        Totals = bars.Totals;
    }

    /// <summary>This page with some of its query changed.</summary>
    public string Link(string? period = null, string? by = null)
    {
        var p = period ?? Period;
        var query = $"?period={p}&by={by ?? By}";
        return "/reports" + (p == "custom" ? $"{query}&from={Date(From)}&to={Date(To)}" : query);
    }

    public string ExportLink(string format) =>
        $"/api/v1/time-entries/export?from={Date(From)}&to={Date(To)}&format={format}&tz={Uri.EscapeDataString(TimeZone)}";

    /// <summary>Hours and minutes (h:mm, the seconds dropped), as reports show time.</summary>
    public static string Hours(long seconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, seconds) / 3600}:{Math.Max(0, seconds) % 3600 / 60:00}");

    public static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public string Span => From == To
        ? From.ToString("ddd d MMM yyyy", CultureInfo.GetCultureInfo("en-US"))
        : $"{From.ToString(From.Year == To.Year ? "d MMM" : "d MMM yyyy", CultureInfo.GetCultureInfo("en-US"))} – {To.ToString("d MMM yyyy", CultureInfo.GetCultureInfo("en-US"))}";

    private (DateOnly From, DateOnly To) Range(string period, DateOnly today, string? from, string? to)
    {
        var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        var firstOfMonth = new DateOnly(today.Year, today.Month, 1);
        switch (period)
        {
            case "last-week":
                return (monday.AddDays(-7), monday.AddDays(-1));
            case "this-month":
                return (firstOfMonth, firstOfMonth.AddMonths(1).AddDays(-1));
            case "last-month":
                return (firstOfMonth.AddMonths(-1), firstOfMonth.AddDays(-1));
            case "custom" when Day(from) is { } start && Day(to) is { } end && start <= end && end.DayNumber - start.DayNumber < Reports.MaxDays:
                return (start, end);
            case "custom":
                Error = $"Choose a start and an end (YYYY-MM-DD), the end not before the start, at most {Reports.MaxDays} days apart; showing this week.";
                Period = "this-week";
                return (monday, monday.AddDays(6));
            default:
                return (monday, monday.AddDays(6));
        }
    }

    private static DateOnly? Day(string? text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) && day.Year is >= 2000 and <= 2100
            ? day
            : null;
}
