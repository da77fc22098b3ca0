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
        var command = new Command("entries", "List your time entries, newest first; correct a session's entry.") { from, to, project, limit, Correct(common) };
        common.Action(command, (parse, api, ct) => api.GetAsync("time-entries" + CommonOptions.Query(
            ("from", Time(parse.GetValue(from))),
            ("to", Time(parse.GetValue(to))),
            ("project_id", parse.GetValue(project)),
            ("limit", parse.GetValue(limit)?.ToString(CultureInfo.InvariantCulture))), ct),
            body => Output.Entries(body.GetProperty("time_entries").EnumerateArray()));
        return command;
    }

    /// <summary>
    /// <c>hourdini entries correct ID</c>: R27, a session's entry corrected (its description, billable flag or billed
    /// duration, from 0 to the session's span); the session itself stays as it was.
    /// </summary>
    private static Command Correct(CommonOptions common)
    {
        var id = new Argument<string>("entry") { Description = "The entry's id (hourdini entries lists them)." };
        var duration = new Option<string?>("--duration") { Description = "The billed duration, h:mm or h:mm:ss (at most the session's span)." };
        var description = new Option<string?>("--description", "-d") { Description = "A new description." };
        var billable = new Option<bool?>("--billable") { Description = "true or false." };
        var correct = new Command("correct", "Correct the entry a session wrote: description, billable or billed duration.") { id, duration, description, billable };
        correct.Validators.Add(result =>
        {
            if (result.GetValue(duration) is { } text && Seconds(text) is null)
            {
                result.AddError("--duration must be h:mm or h:mm:ss, e.g. 1:30 or 0:45:10.");
            }
        });
        common.Action(
            correct,
            (parse, api, ct) => api.PatchAsync($"time-entries/{Uri.EscapeDataString(parse.GetValue(id)!)}", new
            {
                description = parse.GetValue(description),
                billable = parse.GetValue(billable),
                duration_seconds = parse.GetValue(duration) is { } text ? Seconds(text) : null,
            }, ct),
            body =>
            {
                Output.Line("Entry corrected.");
                Output.Entries([body.GetProperty("time_entry")]);
            });
        return correct;
    }

    private static long? Seconds(string text)
    {
        var parts = text.Split(':');
        if (parts.Length is < 2 or > 3 || !parts.All(p => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            return null;
        }

        var numbers = parts.Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return numbers[1] >= 60 || (numbers.Length == 3 && numbers[2] >= 60)
            ? null
            : (numbers[0] * 3600) + (numbers[1] * 60) + (numbers.Length == 3 ? numbers[2] : 0);
    }

    private static string? Time(DateTimeOffset? time) =>
        time?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
