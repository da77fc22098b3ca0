using System.CommandLine;
using System.Globalization;

namespace Hourdini.Cli.Commands;

/// <summary><c>hourdini entries</c>: your time entries, newest first.</summary>
public static class EntriesCommand
{
    public static Command Create(CommonOptions common)
    {
        var from = new Option<DateTimeOffset?>("--from") { Description = "Entries starting at or after this time (e.g. 2026-11-01 or 2026-11-01T09:00Z)." };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Entries starting before this time." };
        var project = new Option<string?>("--project-id") { Description = "Only this project's entries." };
        var limit = new Option<int?>("--limit") { Description = "How many (1 to 200)." };
        var command = new Command("entries", "List your time entries, newest first.") { from, to, project, limit };
        common.Action(command, (parse, api, ct) => api.GetAsync("time-entries" + CommonOptions.Query(
            ("from", Time(parse.GetValue(from))),
            ("to", Time(parse.GetValue(to))),
            ("project_id", parse.GetValue(project)),
            ("limit", parse.GetValue(limit)?.ToString(CultureInfo.InvariantCulture))), ct),
            body => Output.Entries(body.GetProperty("time_entries").EnumerateArray()));
        return command;
    }

    private static string? Time(DateTimeOffset? time) =>
        time?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
