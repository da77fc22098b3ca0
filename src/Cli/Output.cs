using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;

namespace Hourdini.Cli;

/// <summary>How an answer is printed: <c>table</c> for people, <c>tsv</c> for scripts, <c>json</c> as the API said it.</summary>
public enum OutputFormat
{
    Table,
    Tsv,
    Json,
}

/// <summary>A table's column: its header, whether it gives up width first when the terminal is narrow, and whether only scripts see it.</summary>
public sealed record Column(string Header, bool Flex = false, bool Right = false, bool TsvOnly = false)
{
    public static implicit operator Column(string header) => new(header);
}

/// <summary>A table's cell: what people read, and what a script gets (the whole id, RFC 3339 times, seconds).</summary>
public readonly record struct Field(string Text, string Plain)
{
    public static implicit operator Field(string text) => new(text, text);
}

/// <summary>
/// How answers look: a table that fits the terminal (80 columns when it cannot tell) when standard output is a
/// terminal, tab-separated lines without a header when it is piped, or the API's JSON with <c>--format json</c>.
/// </summary>
public static class Output
{
    private const string Gap = "  ";

    /// <summary>Chosen once per run from <c>--format</c> / <c>--json</c> and whether standard output is a terminal.</summary>
    public static OutputFormat Format { get; set; } = Console.IsOutputRedirected ? OutputFormat.Tsv : OutputFormat.Table;

    /// <summary>The terminal's width: <c>COLUMNS</c> when set, else the console's, else 80.</summary>
    public static int Width { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), NumberStyles.None, CultureInfo.InvariantCulture, out var columns) && columns >= 20
            ? columns
            : !Console.IsOutputRedirected && Console.WindowWidth >= 20 ? Console.WindowWidth : 80;

    static Output()
    {
        AnsiConsole.Profile.Width = Width;
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Capabilities.Ansi = false;
        }
    }

    public static void Json(JsonElement body) =>
        Console.Out.WriteLine(JsonSerializer.Serialize(body, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>An answer that is a sentence (whoami, login): always on standard output.</summary>
    public static void Line(string text) => Console.Out.WriteLine(text);

    /// <summary>
    /// What happened, or a hint ("Timer started.", how to get the next page): beside a table on standard output; on
    /// standard error when the output is for a script, so that standard output holds only the data.
    /// </summary>
    public static void Note(string text)
    {
        if (Format == OutputFormat.Table)
        {
            AnsiConsole.Write(new Text(text + "\n")); // wrapped at the terminal's width
        }
        else
        {
            Console.Error.WriteLine(text);
        }
    }

    /// <summary>A table whose cells read the same to people and scripts.</summary>
    public static void Table(IReadOnlyList<Column> columns, IEnumerable<IEnumerable<string>> rows) =>
        Table(columns, rows.Select(row => row.Select(cell => (Field)cell).ToList()));

    public static void Table(IReadOnlyList<Column> columns, IEnumerable<IReadOnlyList<Field>> rows)
    {
        if (Format != OutputFormat.Table)
        {
            foreach (var row in rows)
            {
                Console.Out.WriteLine(string.Join('\t', row.Select(f => f.Plain.ReplaceLineEndings(", ").Replace('\t', ' '))));
            }

            return;
        }

        var shown = Enumerable.Range(0, columns.Count).Where(i => !columns[i].TsvOnly).ToArray();
        var lines = rows.Select(row => shown.Select(i => row[i].Text.Split('\n')).ToArray()).ToList();
        var widths = Fit(shown.Select(i => columns[i]).ToArray(), lines);
        var header = string.Join(Gap, shown.Select((i, c) => Pad(columns[i].Header, widths[c], columns[i].Right))).TrimEnd();
        var text = new StringBuilder(AnsiConsole.Profile.Capabilities.Ansi ? $"\e[1m{header}\e[0m\n" : header + "\n");
        foreach (var row in lines)
        {
            for (var l = 0; l < row.Max(cell => cell.Length); l++)
            {
                text.AppendLine(string.Join(Gap, shown.Select((i, c) => Pad(l < row[c].Length ? row[c][l] : "", widths[c], columns[i].Right))).TrimEnd());
            }
        }

        Console.Out.Write(text.ToString());
    }

    /// <summary>Each column's width: as wide as its widest cell, the flexible ones narrowed (widest first) until the row fits the terminal.</summary>
    private static int[] Fit(Column[] columns, List<string[][]> rows)
    {
        var widths = columns.Select((column, c) => rows.SelectMany(r => r[c]).Select(Cells)
            .Append(column.Header.Length).Max()).ToArray();
        var available = Width - (Gap.Length * (columns.Length - 1));
        while (widths.Sum() > available)
        {
            var widest = Enumerable.Range(0, columns.Length).Where(c => columns[c].Flex && widths[c] > Math.Max(6, columns[c].Header.Length))
                .OrderByDescending(c => widths[c]).FirstOrDefault(-1);
            if (widest < 0)
            {
                break; // only fixed columns are left: wider than the terminal, but whole
            }

            widths[widest]--;
        }

        return widths;
    }

    /// <summary>Cut to <paramref name="width"/> terminal cells (… marks a cut), then padded.</summary>
    private static string Pad(string text, int width, bool right)
    {
        if (Cells(text) > width)
        {
            var cut = new StringBuilder();
            foreach (var rune in text.EnumerateRunes())
            {
                if (Cells(cut + rune.ToString()) > width - 1)
                {
                    break;
                }

                cut.Append(rune.ToString());
            }

            text = cut + "…";
        }

        var padding = new string(' ', Math.Max(0, width - Cells(text)));
        return right ? padding + text : text + padding;
    }

    /// <summary>How many terminal cells a text takes (a CJK character or an emoji takes two).</summary>
    private static int Cells(string text) =>
        ((Spectre.Console.Rendering.IRenderable)new Text(text)).Measure(Measuring, int.MaxValue).Max;

    private static readonly Spectre.Console.Rendering.RenderOptions Measuring = Spectre.Console.Rendering.RenderOptions.Create(AnsiConsole.Console);

    public static void Sessions(IEnumerable<JsonElement> sessions, Names names) => Table(
        [new("Id"), new("Now"), new("Started"), new("Active", Right: true), new("Agent", Right: true), new("Project", Flex: true), new("Description", Flex: true)],
        sessions.Select(s => (IReadOnlyList<Field>)
        [
            Id(s),
            s.GetProperty("current_beat").ValueKind == JsonValueKind.Object ? Str(s.GetProperty("current_beat"), "kind") : Str(s, "status"),
            Time(s, "started_at"),
            Seconds(s.GetProperty("totals"), "active_seconds"),
            Seconds(s.GetProperty("totals"), "agent_seconds"),
            names.Project(Str(s, "project_id")),
            Str(s, "description"),
        ]));

    public static void Entries(IEnumerable<JsonElement> entries, Names names) => Table(
        [new("Id"), new("Started"), new("Duration", Right: true), new("Project", Flex: true), new("Description", Flex: true), new("Amount", Right: true), new("Source", TsvOnly: true)],
        entries.Select(e => (IReadOnlyList<Field>)
        [
            Id(e),
            Time(e, "started_at"),
            Seconds(e, "duration_seconds"),
            names.Project(Str(e, "project_id")),
            Str(e, "description"),
            !e.GetProperty("billable").GetBoolean() ? new Field("not billable", "") : e.TryGetProperty("amount", out _) ? $"{Str(e, "amount")} {Str(e, "currency")}" : "",
            Str(e, "source"),
        ]));

    public static void Timer(JsonElement timer, Names names) => Table(
        [new("Project", Flex: true), new("Started"), new("Elapsed", Right: true), new("Description", Flex: true)],
        [[names.Project(Str(timer, "project_id")), Time(timer, "started_at"), Seconds(timer, "elapsed_seconds"), Str(timer, "description")]]);

    /// <summary>An id as the table shows it, its last 8 characters (commands take them as shown); scripts get it whole.</summary>
    public static Field Id(JsonElement e) => Str(e, "id") is { Length: > 8 } id ? new Field(id[^8..], id) : Str(e, "id");

    public static string Str(JsonElement e, string property) =>
        e.TryGetProperty(property, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Null or JsonValueKind.Undefined => "",
            _ => value.GetRawText(),
        }
        : "";

    /// <summary>Seconds as h:mm:ss.</summary>
    public static string Duration(JsonElement e, string property) =>
        e.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number ? Duration(value.GetInt64()) : "";

    public static string Duration(long seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return string.Create(CultureInfo.InvariantCulture, $"{(long)span.TotalHours}:{span.Minutes:00}:{span.Seconds:00}");
    }

    /// <summary>A duration: h:mm:ss for people, whole seconds for scripts.</summary>
    public static Field Seconds(JsonElement e, string property) => new(Duration(e, property), Str(e, property));

    /// <summary>A timestamp: in the terminal's local time to the minute for people, RFC 3339 for scripts.</summary>
    public static Field Time(JsonElement e, string property) =>
        Instant(e, property) is { } t ? new Field(t.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), Str(e, property)) : "";

    public static DateTimeOffset? Instant(JsonElement e, string property) =>
        DateTimeOffset.TryParse(Str(e, property), CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;
}
