using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hourdini.Cli.Commands;

/// <summary><c>hourdini entries</c>: your time entries, newest first, a page at a time; add, edit and delete them.</summary>
public static partial class EntriesCommand
{
    private static readonly PagedList List = new("time_entries", "entries");

    public static Command Create(CommonOptions common)
    {
        var from = Since("--from", "Entries starting at or after this time (e.g. 2026-11-01 or 2026-11-01T09:00Z).");
        var to = Until("--to", "Entries starting before this time; a date alone includes that day, as report and invoice do (e.g. 2026-11-30).");
        var project = new Option<string?>("--project") { Description = "Only this project's entries (its id, or part of its name)." };
        project.Aliases.Add("--project-id");
        var source = new Option<string?>("--source") { Description = "Only entries from timer, session, manual or import." };
        source.AcceptOnlyFromAmong("timer", "session", "manual", "import");
        var command = new Command("entries", "List your time entries, newest first; add, edit or delete one.")
        {
            from, to, project, source, Add(common), Edit(common), Delete(common),
        };
        foreach (var option in List.Options)
        {
            command.Options.Add(option);
        }

        common.Action(
            command,
            async (parse, api, ct) => await List.GetAsync(parse, api, "time-entries",
            [
                ("from", Time(parse.GetValue(from))),
                ("to", Time(parse.GetValue(to))),
                ("project_id", parse.GetValue(project) is { } p ? await CatalogCommands.ResolveAsync(api, p, ct) : null),
                ("source", parse.GetValue(source)),
            ], ct),
            (body, names) =>
            {
                Output.Entries(body.GetProperty("time_entries").EnumerateArray(), names);
                List.Hint(body);
            });
        return command;
    }

    /// <summary><c>hourdini entries add PROJECT --start … (--end … | --duration h:mm)</c>: time worked away from a timer (R18).</summary>
    private static Command Add(CommonOptions common)
    {
        var project = new Argument<string>("project") { Description = "The project's id, or part of its name (one project)." };
        var fields = new EntryFields();
        var add = new Command("add", "Add an entry by hand, at the project's current rate.") { project };
        fields.AddTo(add);
        add.Validators.Add(result =>
        {
            if (result.GetResult(fields.Start) is null)
            {
                result.AddError("--start is required, e.g. --start \"2026-12-07 09:00\" or --start 09:00 (today).");
            }
            else if ((result.GetResult(fields.End) is null) && (result.GetResult(fields.Duration) is null))
            {
                result.AddError("Give either --end or --duration.");
            }
        });
        common.Action(
            add,
            async (parse, api, ct) => await api.PostAsync("time-entries", fields.Body(parse, await CatalogCommands.ResolveAsync(api, parse.GetValue(project)!, ct)), ct),
            (body, names) =>
            {
                Output.Note("Entry added.");
                Output.Entries([body.GetProperty("time_entry")], names);
            });
        return add;
    }

    /// <summary>
    /// <c>hourdini entries edit ID</c> (also <c>correct</c>): any field of a manual, timer or imported entry; of a session's
    /// entry only its description, tags, billable flag and billed duration, from 0 to the session's span (R27).
    /// </summary>
    private static Command Edit(CommonOptions common)
    {
        var id = new Argument<string>("entry") { Description = "The entry's id, as hourdini entries shows it." };
        var project = new Option<string?>("--project") { Description = "Move it to this project (its id, or part of its name)." };
        var fields = new EntryFields();
        var edit = new Command("edit", "Change an entry; a session's entry only its description, tags, billable flag or billed duration.") { id, project };
        edit.Aliases.Add("correct");
        fields.AddTo(edit);
        common.Action(
            edit,
            async (parse, api, ct) =>
            {
                var entry = await List.ResolveAsync(api, "time-entries", parse.GetValue(id)!, ct);
                var projectId = parse.GetValue(project) is { } p ? await CatalogCommands.ResolveAsync(api, p, ct) : null;
                var storedStart = fields.EndNeedsStoredStart(parse)
                    ? Output.Instant((await api.GetAsync($"time-entries/{Uri.EscapeDataString(entry)}", ct)).GetProperty("time_entry"), "started_at")
                    : null;
                return await api.PatchAsync($"time-entries/{Uri.EscapeDataString(entry)}", fields.Body(parse, projectId, storedStart), ct);
            },
            (body, names) =>
            {
                var entry = body.GetProperty("time_entry");
                Output.Note(Output.Str(entry, "source") == "session" ? "Entry corrected; its session stays as it was." : "Entry updated.");
                Output.Entries([entry], names);
            });
        return edit;
    }

    private static Command Delete(CommonOptions common)
    {
        var id = new Argument<string>("entry") { Description = "The entry's id, as hourdini entries shows it." };
        var delete = new Command("delete", "Delete a manual, timer or imported entry (a session's entry stays; an invoiced one too).") { id };
        common.Action(
            delete,
            async (parse, api, ct) =>
            {
                var entry = await List.ResolveAsync(api, "time-entries", parse.GetValue(id)!, ct);
                await api.DeleteAsync($"time-entries/{Uri.EscapeDataString(entry)}", ct);
                return JsonSerializer.SerializeToElement(new { deleted = entry });
            },
            body => Output.Line($"Entry {Output.Str(body, "deleted")} deleted."));
        return delete;
    }

    /// <summary>The options <c>add</c> and <c>edit</c> share, and the request body they make.</summary>
    private sealed class EntryFields
    {
        public Option<DateTimeOffset?> Start { get; } = When("--start", "When it started: 2026-12-07 09:00, or 09:00 for today (this computer's time zone), or RFC 3339.", "09:00 for today");

        public Option<DateTimeOffset?> End { get; } = When(
            "--end", "When it ended: a date and time as --start, or a time alone (10:30) on --start's day (on edit without --start, the entry's day); or give --duration.", "10:30 on --start's day");

        public Option<long?> Duration { get; } = new("--duration")
        {
            Description = "How long, h:mm or h:mm:ss, e.g. 1:30.",
            CustomParser = result => Seconds(result.Tokens[0].Value) ?? Refuse<long?>(result, "--duration must be h:mm or h:mm:ss, e.g. 1:30 or 0:45:10."),
        };

        public Option<string?> Description { get; } = new("--description", "-d") { Description = "What the time was for." };

        public Option<bool?> Billable { get; } = new("--billable") { Description = "true or false (a new entry is billable)." };

        public Option<string[]> Tags { get; } = new("--tag") { Description = "A tag; repeat for several (on edit: replaces the tags).", AllowMultipleArgumentsPerToken = false };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Start, End, Duration, Description, Billable, Tags })
            {
                command.Options.Add(option);
            }

            command.Validators.Add(result =>
            {
                if (result.GetResult(End) is not null && result.GetResult(Duration) is not null)
                {
                    result.AddError("Give --end or --duration, not both.");
                }
                else if (result.GetResult(Start) is { Tokens: [var startGiven] } && result.GetResult(End) is { Tokens: [_] } endGiven
                    && Parse(startGiven.Value) is { } start && OnStartsDay(Parse(endGiven.Tokens[0].Value), endGiven, start) is { } end && end <= start)
                {
                    result.AddError($"--end {endGiven.Tokens[0].Value} is not after --start {startGiven.Value}{(IsClockTime(endGiven) ? " (a time alone is on --start's day)" : "")}; " +
                        $"for an end on a later day give its date, e.g. --end \"{start.ToLocalTime().AddDays(1):yyyy-MM-dd} {end.ToLocalTime():HH:mm}\".");
                }
            });
        }

        /// <summary>On edit, a time alone for --end without --start: it is on the entry's own day, which only the server knows.</summary>
        public bool EndNeedsStoredStart(ParseResult parse) => parse.GetResult(Start) is null && parse.GetResult(End) is { } end && IsClockTime(end);

        /// <summary>The request's body; <paramref name="storedStart"/> is the entry's start, for an --end that is a time alone on edit.</summary>
        public object Body(ParseResult parse, string? projectId, DateTimeOffset? storedStart = null) => new
        {
            project_id = projectId,
            started_at = parse.GetValue(Start)?.ToUniversalTime(),
            ended_at = (parse.GetResult(End) is { } end ? OnStartsDay(parse.GetValue(End), end, parse.GetValue(Start) ?? storedStart) : null)?.ToUniversalTime(),
            duration_seconds = parse.GetValue(Duration),
            description = parse.GetValue(Description),
            billable = parse.GetValue(Billable),
            tags = parse.GetValue(Tags) is { Length: > 0 } tags ? tags : null,
        };
    }

    /// <summary>
    /// A time as people type it: a date and time or a time today in this computer's zone, or RFC 3339 (a time alone for
    /// --end is moved to --start's day by <see cref="OnStartsDay"/>); <paramref name="clockTime"/> says what a time alone means.
    /// </summary>
    private static Option<DateTimeOffset?> When(string name, string description, string clockTime) => new(name)
    {
        Description = description,
        CustomParser = result => Parse(result.Tokens[0].Value)
            ?? Refuse<DateTimeOffset?>(result, $"{name} must be a date and time like \"2026-12-07 09:00\", or a time like {clockTime}."),
    };

    /// <summary>A bound of the list: a day, a date and time or a time today in this computer's zone, or RFC 3339; else a message saying so, not a .NET type.</summary>
    private static Option<DateTimeOffset?> Since(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result => Parse(result.Tokens[0].Value)
            ?? Refuse<DateTimeOffset?>(result, $"{name} must be a date like 2026-11-01, a date and time like \"2026-11-01 09:00\", or RFC 3339 like 2026-11-01T09:00Z."),
    };

    /// <summary>
    /// The list's end: like <see cref="Since"/>, but a date alone means through that day (the next day's midnight here),
    /// so <c>--from 2026-11-01 --to 2026-11-30</c> is November, as <c>report</c> and <c>invoice</c> read the same dates.
    /// </summary>
    private static Option<DateTimeOffset?> Until(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result => DateOnly.TryParseExact(result.Tokens[0].Value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? new DateTimeOffset(day.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Local))
            : Parse(result.Tokens[0].Value)
                ?? Refuse<DateTimeOffset?>(result, $"{name} must be a date like 2026-11-30 (that whole day), a date and time like \"2026-11-30 18:00\", or RFC 3339 like 2026-11-30T18:00Z."),
    };

    /// <summary>A date and time, or a time today, in this computer's zone, or RFC 3339; null when it is none of them.</summary>
    private static DateTimeOffset? Parse(string text)
    {
        text = text.Trim();
        if (ClockTime().IsMatch(text) && TimeOnly.TryParse(text, CultureInfo.InvariantCulture, out var time))
        {
            return new DateTimeOffset(DateTime.Today.Add(time.ToTimeSpan()));
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var at) ? at : null;
    }

    /// <summary>
    /// An end given as a time alone (10:30) is that time on the start's day in this computer's zone, not today: an end
    /// typed before its start is then refused, instead of becoming an entry that spans the days between them.
    /// </summary>
    private static DateTimeOffset? OnStartsDay(DateTimeOffset? end, System.CommandLine.Parsing.OptionResult given, DateTimeOffset? start) =>
        end is not null && start is { } day && IsClockTime(given) && TimeOnly.TryParse(given.Tokens[0].Value.Trim(), CultureInfo.InvariantCulture, out var time)
            ? new DateTimeOffset(DateOnly.FromDateTime(day.ToLocalTime().DateTime).ToDateTime(time, DateTimeKind.Local))
            : end;

    private static bool IsClockTime(System.CommandLine.Parsing.OptionResult given) => given.Tokens is [var token] && ClockTime().IsMatch(token.Value.Trim());

    private static T? Refuse<T>(System.CommandLine.Parsing.ArgumentResult result, string message)
    {
        result.AddError(message);
        return default;
    }

    [GeneratedRegex(@"^\d{1,2}:\d{2}$")]
    private static partial Regex ClockTime();

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
