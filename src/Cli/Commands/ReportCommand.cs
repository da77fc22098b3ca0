using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hourdini.Cli.Commands;

/// <summary>
/// <c>hourdini report</c>: this week's (or month's, or a period's) time by project, client, agent or day, with hands-on
/// and agent time apart and amounts per currency (R28, R20), in a table that fits 80 columns.
/// </summary>
public static partial class ReportCommand
{
    public static Command Create(CommonOptions common)
    {
        var week = new Option<bool>("--week") { Description = "This week, Monday to Sunday (the default)." };
        var month = new Option<bool>("--month") { Description = "This calendar month." };
        var from = new Option<string?>("--from") { Description = "The first day, e.g. 2026-12-01 (with --to)." };
        var to = new Option<string?>("--to") { Description = "The last day, included, e.g. 2026-12-31." };
        var by = new Option<string>("--by") { Description = "Group by project (default), client, agent or day.", DefaultValueFactory = _ => "project" };
        by.AcceptOnlyFromAmong("project", "client", "agent", "day");
        var tz = new Option<string?>("--tz") { Description = "IANA time zone for days and weeks (default: this computer's)." };
        var command = new Command("report", "Time by project, client, agent or day: hands-on and agent apart, amounts per currency.")
        {
            week, month, from, to, by, tz,
        };
        command.Validators.Add(result =>
        {
            var periods = (result.GetValue(week) ? 1 : 0) + (result.GetValue(month) ? 1 : 0) + (result.GetValue(from) is not null || result.GetValue(to) is not null ? 1 : 0);
            if (periods > 1)
            {
                result.AddError("Give one of --week, --month or --from/--to.");
            }
            else if ((result.GetValue(from) is null) != (result.GetValue(to) is null))
            {
                result.AddError("--from and --to go together.");
            }
        });

        var zone = "UTC";
        common.Action(command, (parse, api, ct) =>
        {
            zone = parse.GetValue(tz) ?? LocalZone();
            var (start, end) = parse.GetValue(from) is { } first
                ? (first, parse.GetValue(to)!)
                : Period(parse.GetValue(month), Today(zone));
            return api.GetAsync("reports/summary" + CommonOptions.Query(
                ("from", start), ("to", end), ("group_by", parse.GetValue(by)), ("tz", zone)), ct);
        }, body => Show(body, zone));
        return command;
    }

    /// <summary>The report as a table: a row per group, then a total per currency (never converted, R20).</summary>
    public static void Show(JsonElement report, string zone)
    {
        var groupBy = report.GetProperty("group_by").GetString()!;
        var groups = report.GetProperty("groups").EnumerateArray().ToList();
        if (groups.Count == 0)
        {
            Output.Note($"No time recorded in this period ({zone}).");
            return;
        }

        var rows = groups.Select(g => new[]
        {
            Output.Str(g, "label"),
            Hours(g, "active_seconds"),
            Hours(g, "agent_seconds"),
            Hours(g, "billable_seconds"),
            string.Join('\n', g.GetProperty("amounts").EnumerateArray().Select(a => Money(a))),
        }).Concat(report.GetProperty("totals").EnumerateArray().Select(t => new[]
        {
            $"Total {Output.Str(t, "currency")}",
            Hours(t, "active_seconds"),
            Hours(t, "agent_seconds"),
            Hours(t, "billable_seconds"),
            Money(t),
        }));
        Output.Table(
            [
                new(CultureInfo.InvariantCulture.TextInfo.ToTitleCase(groupBy), Flex: true), new("Hands-on", Right: true), new("Agent", Right: true),
                new("Billable", Right: true), new("Amount", Right: true),
            ],
            rows);
        Output.Note($"Times in {zone}; hours as h:mm.");
    }

    /// <summary>This week (Monday first) or this month, as dates.</summary>
    public static (string From, string To) Period(bool month, DateOnly today)
    {
        var (first, last) = month
            ? (new DateOnly(today.Year, today.Month, 1), new DateOnly(today.Year, today.Month, 1).AddMonths(1).AddDays(-1))
            : (today.AddDays(-(((int)today.DayOfWeek + 6) % 7)), today.AddDays(6 - (((int)today.DayOfWeek + 6) % 7)));
        return (Date(first), Date(last));
    }

    private static DateOnly Today(string zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var info)
            ? TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, info).DateTime
            : DateTime.UtcNow);

    /// <summary>This computer's IANA zone, or UTC when it has none by that kind of name.</summary>
    private static string LocalZone() => TimeZoneInfo.Local.Id is { } id && IanaName().IsMatch(id) && id != "Local" ? id : "UTC";

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$")]
    private static partial Regex IanaName();

    private static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Hours(JsonElement e, string property)
    {
        var seconds = e.GetProperty(property).GetInt64();
        return string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}:{seconds % 3600 / 60:00}");
    }

    private static string Money(JsonElement amount) =>
        decimal.TryParse(Output.Str(amount, "amount"), NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
            ? string.Create(CultureInfo.InvariantCulture, $"{value:N2} {Output.Str(amount, "currency")}")
            : $"{Output.Str(amount, "amount")} {Output.Str(amount, "currency")}";
}
