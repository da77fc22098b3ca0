using System.Globalization;
using Hourdini.Silo.Storage.Entries;

namespace Hourdini.Gateway.Exports;

/// <summary>What a cell holds, so each format writes it as its own type (an XLSX number is a number, a day a date).</summary>
public enum CellKind
{
    Text,
    Integer,
    Money,
    Boolean,
    Day,
    Time,
}

/// <summary>A column of the export: its header (API.md's names first, in API.md's order) and how a row fills it.</summary>
public sealed record ExportColumn(string Name, CellKind Kind, double Width, Func<ExportRow, object?> Value);

/// <summary>An exported entry with its times in the caller's zone.</summary>
public sealed record ExportRow(ExportedEntry Row, DateTimeOffset Start, DateTimeOffset End);

/// <summary>R29: the export's columns, shared by the CSV and the XLSX writer.</summary>
public static class ExportColumns
{
    public static IReadOnlyList<ExportColumn> All { get; } =
    [
        new("date", CellKind.Day, 11, r => DateOnly.FromDateTime(r.Start.DateTime)),
        new("start", CellKind.Time, 20, r => r.Start),
        new("end", CellKind.Time, 20, r => r.End),
        new("duration_seconds", CellKind.Integer, 10, r => r.Row.Entry.DurationSeconds),
        new("project", CellKind.Text, 24, r => r.Row.ProjectName),
        new("client", CellKind.Text, 20, r => r.Row.ClientName),
        new("description", CellKind.Text, 40, r => r.Row.Entry.Description),
        new("source", CellKind.Text, 9, r => r.Row.Entry.Source),
        new("billable", CellKind.Boolean, 9, r => r.Row.Entry.Billable),
        new("active_seconds", CellKind.Integer, 10, r => r.Row.Entry.SplitOrHandsOn.ActiveSeconds),
        new("agent_seconds", CellKind.Integer, 10, r => r.Row.Entry.SplitOrHandsOn.AgentSeconds),
        new("rate", CellKind.Money, 9, r => r.Row.Entry.Rate),
        new("currency", CellKind.Text, 9, r => r.Row.Entry.Currency),
        new("amount", CellKind.Money, 11, r => r.Row.Entry.Amount),
        new("session_id", CellKind.Text, 38, r => r.Row.Entry.SessionId?.ToString()),
        new("tags", CellKind.Text, 20, r => string.Join(", ", r.Row.Entry.Tags)),
        new("idle_seconds", CellKind.Integer, 10, r => r.Row.Entry.SplitOrHandsOn.IdleSeconds),
        new("agent_billed", CellKind.Boolean, 9, r => r.Row.Entry.SplitOrHandsOn.AgentBilled),
        new("agent_rate", CellKind.Money, 9, r => r.Row.Entry.AgentRate),
        new("user", CellKind.Text, 18, r => r.Row.UserName),
        new("email", CellKind.Text, 26, r => r.Row.UserEmail),
        new("id", CellKind.Text, 38, r => r.Row.Entry.Id.ToString()),
    ];

    /// <summary>A cell as CSV text: days <c>2026-12-07</c>, times RFC 3339 with the zone's offset, money with two decimals.</summary>
    public static string Text(object? value) => value switch
    {
        null => "",
        DateOnly day => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTimeOffset at => at.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
        decimal money => money.ToString("0.00", CultureInfo.InvariantCulture),
        bool flag => flag ? "true" : "false",
        long number => number.ToString(CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
