using System.CommandLine;
using System.Text.Json;

namespace Hourdini.Cli.Commands;

/// <summary><c>hourdini session start|beat|log|end|show|list</c>.</summary>
public static class SessionCommands
{
    private static readonly PagedList List = new("sessions", "sessions");

    public static Command Create(CommonOptions common)
    {
        var project = new Argument<string>("project") { Description = "The project's id, or part of its name." };
        var description = new Option<string?>("--description", "-d") { Description = "A short description of the work." };
        var start = new Command("start", "Start a work session on a project.") { project, description };
        common.Action(start, (parse, api, ct) =>
        {
            var (id, name) = CommonOptions.Project(parse.GetValue(project)!);
            return api.PostAsync("sessions", new { project_id = id, project_name = name, description = parse.GetValue(description) }, ct);
        }, "stopped_timer_entry", (body, names) =>
        {
            Output.Note("Session started.");
            Output.Sessions([body.GetProperty("session")], names);
        });

        var sessionId = new Argument<string>("session") { Description = "The session's id, as hourdini session list shows it." };
        var kind = new Argument<string>("kind") { Description = "active, agent or idle." };
        kind.AcceptOnlyFromAmong("active", "agent", "idle");
        var previous = new Option<string?>("--previous") { Description = "With active: what the previously focused session becomes (idle or agent)." };
        previous.AcceptOnlyFromAmong("idle", "agent");
        var beat = new Command("beat", "Record who is working in a session from now on.") { sessionId, kind, previous };
        common.Action(
            beat,
            async (parse, api, ct) => await api.PostAsync($"sessions/{await IdAsync(api, parse.GetValue(sessionId)!, ct)}/beat", new { kind = parse.GetValue(kind), previous = parse.GetValue(previous) }, ct),
            (body, names) => Output.Sessions([body.GetProperty("session")], names));

        var message = new Argument<string>("message") { Description = "What was done, e.g. \"Moved the blog to the new host\"." };
        var task = new Option<string?>("--task") { Description = "The id of the task it was for." };
        var log = new Command("log", "Write what was done into a session's timeline.") { sessionId, message, task };
        common.Action(
            log,
            async (parse, api, ct) => await api.PostAsync(
                $"sessions/{await IdAsync(api, parse.GetValue(sessionId)!, ct)}/events", new { type = "log", message = parse.GetValue(message), task_id = parse.GetValue(task) }, ct),
            body => Output.Note($"Logged at {Output.Time(body.GetProperty("event"), "at").Text}."));

        var end = new Command("end", "End a session; it writes one time entry.") { sessionId };
        common.Action(end, async (parse, api, ct) => await api.PostAsync($"sessions/{await IdAsync(api, parse.GetValue(sessionId)!, ct)}/end", null, ct), (body, names) =>
        {
            Output.Note("Session ended.");
            Output.Sessions([body.GetProperty("session")], names);
            if (body.GetProperty("entry") is { ValueKind: JsonValueKind.Object } entry)
            {
                Output.Entries([entry], names);
            }
            else
            {
                Output.Note("Nothing billable: no entry was written.");
            }
        });

        var show = new Command("show", "Show a session: its totals, beats and timeline (logs, tasks).") { sessionId };
        common.Action(show, async (parse, api, ct) =>
        {
            var id = await IdAsync(api, parse.GetValue(sessionId)!, ct);
            var session = await api.GetAsync($"sessions/{id}", ct);
            var events = new List<JsonElement>();
            string? after = null;
            do
            {
                var page = await api.GetAsync($"sessions/{id}/timeline" + CommonOptions.Query(("after", after), ("limit", "200")), ct);
                events.AddRange(page.GetProperty("events").EnumerateArray());
                after = Output.Str(page, "next_after") is { Length: > 0 } next ? next : null;
            }
            while (after is not null);

            return JsonSerializer.SerializeToElement(new { session = session.GetProperty("session"), events });
        }, Show);

        var status = new Option<string?>("--status") { Description = "open or stopped." };
        status.AcceptOnlyFromAmong("open", "stopped");
        var list = new Command("list", "List your sessions, newest first.") { status };
        foreach (var option in List.Options)
        {
            list.Options.Add(option);
        }

        common.Action(list, (parse, api, ct) => List.GetAsync(parse, api, "sessions", [("status", parse.GetValue(status))], ct), (body, names) =>
        {
            Output.Sessions(body.GetProperty("sessions").EnumerateArray(), names);
            List.Hint(body);
        });

        return new Command("session", "Start, beat, log, end, show or list work sessions.") { start, beat, log, end, show, list };
    }

    /// <summary>A session's whole id from the id as the tables show it.</summary>
    private static async Task<string> IdAsync(HourdiniApi api, string given, CancellationToken ct) =>
        Uri.EscapeDataString(await List.ResolveAsync(api, "sessions", given, ct));

    /// <summary>A session in full: what it is and its totals, its beats (in a terminal), and its timeline.</summary>
    private static void Show(JsonElement body, Names names)
    {
        var session = body.GetProperty("session");
        var totals = session.GetProperty("totals");
        var now = session.GetProperty("current_beat") is { ValueKind: JsonValueKind.Object } beat
            ? $"{Output.Str(beat, "kind")} since {Output.Time(beat, "since").Text}"
            : $"stopped {Output.Time(session, "stopped_at").Text}";
        Output.Note($"{names.Project(Output.Str(session, "project_id"))}: {Output.Str(session, "description")}");
        Output.Note($"Session {Output.Str(session, "id")}, started {Output.Time(session, "started_at").Text}, {now}.");
        Output.Note($"Hands-on {Output.Duration(totals, "active_seconds")} · agent {Output.Duration(totals, "agent_seconds")} · " +
            $"idle {Output.Duration(totals, "idle_seconds")} · billable {Output.Duration(totals, "billable_seconds")}" +
            (Output.Str(session, "entry_id") is { Length: > 0 } entry ? $" · entry {entry[^8..]}" : ""));
        if (Output.Format == OutputFormat.Table)
        {
            Output.Note("");
            Output.Table(
                ["Beat", "From", "To", new Column("Duration", Right: true)],
                session.GetProperty("beats").EnumerateArray().Select(b => (IReadOnlyList<Field>)
                [
                    Output.Str(b, "kind"),
                    Output.Time(b, "started_at"),
                    Output.Instant(b, "ended_at") is null ? "now" : Output.Time(b, "ended_at"),
                    Output.Duration((long)((Output.Instant(b, "ended_at") ?? DateTimeOffset.UtcNow) - Output.Instant(b, "started_at")!.Value).TotalSeconds),
                ]));
            Output.Note("");
        }

        Output.Table(
            ["Time", "Event", new Column("Detail", Flex: true)],
            body.GetProperty("events").EnumerateArray().Select(e => (IReadOnlyList<Field>)[Output.Time(e, "at"), Output.Str(e, "type"), Detail(e)]));
    }

    /// <summary>What a timeline event says, in words.</summary>
    private static string Detail(JsonElement e)
    {
        var data = e.GetProperty("data");
        return Output.Str(e, "type") switch
        {
            "session_start" => $"first beat {Output.Str(data, "first_beat")}",
            "beat" => $"{Output.Str(data, "kind")} (was {Output.Str(data, "previous")})",
            "log" => Output.Str(data, "message") + (Output.Str(data, "task_id") is { Length: > 0 } task ? $" (task {task[^8..]})" : ""),
            "task_status" => $"task {Output.Str(data, "task_id")} {Output.Str(data, "status")}",
            "session_stop" => $"{Output.Str(data, "reason")}, billable {Output.Duration(data, "billable_seconds")}",
            _ => data.GetRawText(),
        };
    }
}
