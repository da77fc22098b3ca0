using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Hourdini.Cli;

/// <summary>How answers look in a terminal: readable tables, or the API's JSON with <c>--json</c>.</summary>
public static class Output
{
    static Output()
    {
        // Piped into a file or another program: plain text, and wide enough that ids are not wrapped.
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Capabilities.Ansi = false;
            AnsiConsole.Profile.Width = 250;
        }
    }

    public static void Json(JsonElement body) =>
        Console.Out.WriteLine(JsonSerializer.Serialize(body, new JsonSerializerOptions { WriteIndented = true }));

    public static void Line(string text) => AnsiConsole.Write(new Text(text + Environment.NewLine));

    public static void Table(IEnumerable<string> headers, IEnumerable<IEnumerable<string>> rows)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))).NoWrap());
        }

        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (IRenderable)new Text(cell)).ToArray());
        }

        AnsiConsole.Write(table);
    }

    public static void Sessions(IEnumerable<JsonElement> sessions) => Table(
        ["Session", "Status", "Beat", "Started", "Active", "Agent", "Idle", "Billable", "Description"],
        sessions.Select(s =>
        {
            var totals = s.GetProperty("totals");
            return new[]
            {
                Str(s, "id"),
                Str(s, "status"),
                s.GetProperty("current_beat").ValueKind == JsonValueKind.Object ? Str(s.GetProperty("current_beat"), "kind") : "-",
                Time(s, "started_at"),
                Duration(totals, "active_seconds"),
                Duration(totals, "agent_seconds"),
                Duration(totals, "idle_seconds"),
                Duration(totals, "billable_seconds"),
                Str(s, "description"),
            };
        }));

    public static void Entries(IEnumerable<JsonElement> entries) => Table(
        ["Entry", "Source", "Started", "Ended", "Duration", "Billable", "Rate", "Description"],
        entries.Select(e => new[]
        {
            Str(e, "id"),
            Str(e, "source"),
            Time(e, "started_at"),
            Time(e, "ended_at"),
            Duration(e, "duration_seconds"),
            e.GetProperty("billable").GetBoolean() ? "yes" : "no",
            $"{Str(e, "rate")} {Str(e, "currency")}",
            Str(e, "description"),
        }));

    public static void Timer(JsonElement timer) => Table(
        ["Timer", "Project", "Started", "Elapsed", "Description"],
        [[Str(timer, "id"), Str(timer, "project_id"), Time(timer, "started_at"), Duration(timer, "elapsed_seconds"), Str(timer, "description")]]);

    public static string Str(JsonElement e, string property) =>
        e.TryGetProperty(property, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Null or JsonValueKind.Undefined => "",
            _ => value.GetRawText(),
        }
        : "";

    /// <summary>Seconds as h:mm:ss.</summary>
    public static string Duration(JsonElement e, string property)
    {
        if (!e.TryGetProperty(property, out var value) || value.ValueKind != JsonValueKind.Number)
        {
            return "";
        }

        var span = TimeSpan.FromSeconds(value.GetInt64());
        return string.Create(CultureInfo.InvariantCulture, $"{(long)span.TotalHours}:{span.Minutes:00}:{span.Seconds:00}");
    }

    /// <summary>A timestamp in the terminal's local time, to the minute.</summary>
    private static string Time(JsonElement e, string property) =>
        DateTimeOffset.TryParse(Str(e, property), CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)
            ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)
            : "";
}
