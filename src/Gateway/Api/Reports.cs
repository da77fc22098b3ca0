using System.Globalization;
using System.Text.RegularExpressions;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Accounts;
using Hourdini.Grains.Common;
using Hourdini.Silo.Storage.Reports;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Hourdini.Gateway.Api;

/// <summary>
/// Reports (R28): entries grouped by client, project, agent, source, user, day or ISO week in the caller's time zone,
/// with human (active) and agent time apart and money per currency (R20). Person-only (R22): agent tokens are refused.
/// </summary>
/// <remarks>
/// What counts: every entry of the reader's scope that <em>started</em> in the period (so an entry is in exactly one
/// period, day and week). <c>billable_seconds</c> is the billed duration of billable entries; <c>active_seconds</c>,
/// <c>agent_seconds</c>, <c>idle_seconds</c> and <c>entries</c> count every entry, billable or not (the work done);
/// amounts are the entries' own (a non-billable entry is worth 0). Scope: an Owner reads the whole org, a Member their
/// own entries, a Viewer every entry on the clients granted to them.
/// </remarks>
public static partial class Reports
{
    /// <summary>The longest period a report covers.</summary>
    public const int MaxDays = 366;

    public static readonly IReadOnlyDictionary<string, ReportGrouping> Groupings = new Dictionary<string, ReportGrouping>
    {
        ["client"] = ReportGrouping.Client,
        ["project"] = ReportGrouping.Project,
        ["agent"] = ReportGrouping.Agent,
        ["source"] = ReportGrouping.Source,
        ["user"] = ReportGrouping.User,
        ["day"] = ReportGrouping.Day,
        ["week"] = ReportGrouping.Week,
    };

    /// <summary>The query of <c>GET /reports/summary</c>, as sent.</summary>
    public sealed record SummaryRequest(string? From, string? To, string? GroupBy, string? Tz);

    public sealed record Amount(string Currency, decimal Value);

    public sealed record Group(
        string? Key, string Label, long BillableSeconds, long ActiveSeconds, long AgentSeconds, long IdleSeconds, long Entries, IReadOnlyList<Amount> Amounts);

    public sealed record Total(string Currency, long BillableSeconds, long ActiveSeconds, long AgentSeconds, decimal Amount);

    public sealed record Summary(string GroupBy, string TimeZone, IReadOnlyList<Group> Groups, IReadOnlyList<Total> Totals);

    public static void MapReports(this RouteGroupBuilder api)
    {
        var reports = api.MapGroup("/reports").RequireAuthorization();
        reports.MapGet("/summary", async (
            string? from, string? to, [FromQuery(Name = "group_by")] string? groupBy, string? tz, HttpContext context, ReportStore store) =>
            (await SummaryAsync(new SummaryRequest(from, to, groupBy, tz), context, store)).ToHttp())
            .WithTags("Reports").Returns<OpenApi.ReportSummary>("getReport", "Report a period, grouped");
    }

    public static async Task<Answer> SummaryAsync(SummaryRequest request, HttpContext context, ReportStore store)
    {
        var caller = context.Caller();
        if (!Groupings.TryGetValue(request.GroupBy ?? "project", out var grouping))
        {
            throw Refusal.Invalid("group_by must be one of client, project, agent, source, user, day, week.");
        }

        var tz = string.IsNullOrEmpty(request.Tz) ? "UTC" : request.Tz;
        var zone = Zone(tz) ?? throw Refusal.Invalid("tz must be an IANA time zone name, e.g. Europe/Berlin or America/New_York.");
        var (from, to) = Period(request.From, request.To, zone);
        var summary = await SummarizeAsync(caller, store, from, to, grouping, tz, context.RequestAborted);
        return new Answer(View(summary));
    }

    /// <summary>The report of <paramref name="caller"/>'s scope over [from, to), grouped, in the IANA zone <paramref name="tz"/>.</summary>
    public static async Task<Summary> SummarizeAsync(
        Caller caller, ReportStore store, DateTimeOffset from, DateTimeOffset to, ReportGrouping grouping, string tz, CancellationToken ct)
    {
        if (caller.IsAgent)
        {
            throw AgentScope.Refused("Reports show rates and amounts; agent tokens cannot read them.");
        }

        IReadOnlyList<ReportRow> rows;
        try
        {
            rows = await store.SummarizeAsync(caller.OrgId, ScopeOf(caller), from, to, grouping, tz, ct);
        }
        catch (PostgresException unknown) when (unknown.SqlState == PostgresErrorCodes.InvalidParameterValue)
        {
            // .NET and PostgreSQL each carry a time zone database; a name only .NET knows is refused like any unknown one.
            throw Refusal.Invalid($"tz \"{tz}\" is not a time zone this server knows.");
        }

        var groups = rows
            .GroupBy(r => r.Key)
            .Select(g => new Group(
                g.Key,
                Label(grouping, g.Key, g.First().Label),
                g.Sum(r => r.BillableSeconds),
                g.Sum(r => r.ActiveSeconds),
                g.Sum(r => r.AgentSeconds),
                g.Sum(r => r.IdleSeconds),
                g.Sum(r => r.Entries),
                g.OrderBy(r => r.Currency, StringComparer.Ordinal).Select(r => new Amount(r.Currency, r.Amount)).ToList()))
            .ToList();
        groups = grouping is ReportGrouping.Day or ReportGrouping.Week or ReportGrouping.Source
            ? [.. groups.OrderBy(g => g.Key, StringComparer.Ordinal)]
            : [.. groups.OrderBy(g => g.Key is null).ThenBy(g => g.Label, StringComparer.OrdinalIgnoreCase).ThenBy(g => g.Key, StringComparer.Ordinal)];

        // R20: money is never converted, so the grand totals are one per currency.
        var totals = rows
            .GroupBy(r => r.Currency)
            .OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => new Total(c.Key, c.Sum(r => r.BillableSeconds), c.Sum(r => r.ActiveSeconds), c.Sum(r => r.AgentSeconds), c.Sum(r => r.Amount)))
            .ToList();
        return new Summary(Groupings.First(g => g.Value == grouping).Key, tz, groups, totals);
    }

    /// <summary>Owners read the whole org; members their own entries; viewers what is on the clients granted to them.</summary>
    public static ReportScope ScopeOf(Caller caller) =>
        caller.ViewerScope() is { } viewer ? new ReportScope(null, viewer)
        : caller.Role == Role.Owner ? ReportScope.WholeOrg
        : new ReportScope(caller.UserId, null);

    /// <summary>
    /// The period [from, to): each end a date (<c>2026-12-01</c>, a whole day in <paramref name="zone"/>, so <c>to</c> is
    /// included) or an RFC 3339 instant (<c>to</c> excluded). Both required, forward, at most <see cref="MaxDays"/> days.
    /// </summary>
    public static (DateTimeOffset From, DateTimeOffset To) Period(string? fromText, string? toText, TimeZoneInfo zone)
    {
        var from = Bound(fromText, "from", zone, endOfDay: false);
        var to = Bound(toText, "to", zone, endOfDay: true);
        if (to <= from)
        {
            throw Refusal.Invalid("from must be before to.");
        }

        // An hour of slack: a period of whole local days can gain one across a daylight-saving change.
        if (to - from > TimeSpan.FromDays(MaxDays) + TimeSpan.FromHours(1))
        {
            throw Refusal.Invalid($"A report covers at most {MaxDays} days.");
        }

        return (from, to);
    }

    private static DateTimeOffset Bound(string? text, string field, TimeZoneInfo zone, bool endOfDay)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw Refusal.Invalid($"{field} is required: a date (2026-12-01) or an RFC 3339 time.");
        }

        DateTimeOffset at;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            at = StartOf(endOfDay && day < DateOnly.MaxValue ? day.AddDays(1) : day, zone);
        }
        else if (!HttpSetup.TryParseTime(text, out at))
        {
            throw Refusal.Invalid($"{field} must be a date (2026-12-01) or an RFC 3339 time (2026-12-01T09:00:00Z).");
        }

        return at < Validate.Earliest || at.Year > 2100
            ? throw Refusal.Invalid($"{field} must lie between the years 2000 and 2100.")
            : at;
    }

    /// <summary>The instant <paramref name="day"/> begins in <paramref name="zone"/>.</summary>
    public static DateTimeOffset StartOf(DateOnly day, TimeZoneInfo zone)
    {
        var midnight = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(midnight, zone.GetUtcOffset(midnight)).ToUniversalTime();
    }

    /// <summary>An IANA time zone by name; null for anything else (only IANA-shaped names are looked up).</summary>
    public static TimeZoneInfo? Zone(string? name) =>
        name is { Length: > 0 and < 64 } && ZoneName().IsMatch(name) && TimeZoneInfo.TryFindSystemTimeZoneById(name, out var zone) ? zone : null;

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$")]
    private static partial Regex ZoneName();

    private static string Label(ReportGrouping grouping, string? key, string? name) => grouping switch
    {
        ReportGrouping.Agent when key is null => "No agent",
        ReportGrouping.Source => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(key ?? ""),
        ReportGrouping.Day when DateOnly.TryParseExact(key, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) =>
            day.ToString("ddd d MMM yyyy", CultureInfo.InvariantCulture),
        ReportGrouping.Week when WeekStart(key) is { } monday =>
            $"{monday.ToString("d MMM", CultureInfo.InvariantCulture)} – {monday.AddDays(6).ToString("d MMM yyyy", CultureInfo.InvariantCulture)}",
        _ => name ?? "Unknown",
    };

    /// <summary>The Monday of an ISO week key such as <c>2026-W53</c>.</summary>
    public static DateOnly? WeekStart(string? key) =>
        key is { Length: 8 } && key[4..6] == "-W"
            && int.TryParse(key[..4], NumberStyles.None, CultureInfo.InvariantCulture, out var year)
            && int.TryParse(key[6..], NumberStyles.None, CultureInfo.InvariantCulture, out var week)
            && week is >= 1 and <= 53 && year is >= 1 and <= 9998
            ? DateOnly.FromDateTime(ISOWeek.ToDateTime(year, week, DayOfWeek.Monday))
            : null;

    /// <summary>The ISO week key (<c>2026-W50</c>) of a date, as the report computes it.</summary>
    public static string WeekKey(DateOnly day)
    {
        var date = day.ToDateTime(TimeOnly.MinValue);
        return string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(date):0000}-W{ISOWeek.GetWeekOfYear(date):00}");
    }

    public static string Money(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);

    public static object View(Summary s) => new
    {
        group_by = s.GroupBy,
        tz = s.TimeZone,
        groups = s.Groups.Select(g => new
        {
            key = g.Key,
            label = g.Label,
            billable_seconds = g.BillableSeconds,
            active_seconds = g.ActiveSeconds,
            agent_seconds = g.AgentSeconds,
            idle_seconds = g.IdleSeconds,
            entries = g.Entries,
            amounts = g.Amounts.Select(a => new { currency = a.Currency, amount = Money(a.Value) }),
        }),
        totals = s.Totals.Select(t => new
        {
            currency = t.Currency,
            billable_seconds = t.BillableSeconds,
            active_seconds = t.ActiveSeconds,
            agent_seconds = t.AgentSeconds,
            amount = Money(t.Amount),
        }),
    };
}
