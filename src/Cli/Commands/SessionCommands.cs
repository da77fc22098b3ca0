using System.CommandLine;

namespace Hourdini.Cli.Commands;

/// <summary><c>hourdini session start|beat|end|list</c>.</summary>
public static class SessionCommands
{
    public static Command Create(CommonOptions common)
    {
        var project = new Argument<string>("project") { Description = "The project's id, or part of its name." };
        var description = new Option<string?>("--description", "-d") { Description = "A short description of the work." };
        var start = new Command("start", "Start a work session on a project.") { project, description };
        common.Action(start, (parse, api, ct) =>
        {
            var (id, name) = CommonOptions.Project(parse.GetValue(project)!);
            return api.PostAsync("sessions", new { project_id = id, project_name = name, description = parse.GetValue(description) }, ct);
        }, body =>
        {
            Output.Line("Session started.");
            Output.Sessions([body.GetProperty("session")]);
        });

        var sessionId = new Argument<string>("session") { Description = "The session's id." };
        var kind = new Argument<string>("kind") { Description = "active, agent or idle." };
        kind.AcceptOnlyFromAmong("active", "agent", "idle");
        var previous = new Option<string?>("--previous") { Description = "With active: what the previously focused session becomes (idle or agent)." };
        var beat = new Command("beat", "Record who is working in a session from now on.") { sessionId, kind, previous };
        common.Action(
            beat,
            (parse, api, ct) => api.PostAsync($"sessions/{Uri.EscapeDataString(parse.GetValue(sessionId)!)}/beat", new { kind = parse.GetValue(kind), previous = parse.GetValue(previous) }, ct),
            body => Output.Sessions([body.GetProperty("session")]));

        var end = new Command("end", "End a session; it writes one time entry.") { sessionId };
        common.Action(end, (parse, api, ct) => api.PostAsync($"sessions/{Uri.EscapeDataString(parse.GetValue(sessionId)!)}/end", null, ct), body =>
        {
            Output.Line("Session ended.");
            Output.Sessions([body.GetProperty("session")]);
            if (body.GetProperty("entry") is { ValueKind: System.Text.Json.JsonValueKind.Object } entry)
            {
                Output.Entries([entry]);
            }
            else
            {
                Output.Line("Nothing billable: no entry was written.");
            }
        });

        var status = new Option<string?>("--status") { Description = "open or stopped." };
        status.AcceptOnlyFromAmong("open", "stopped");
        var limit = new Option<int?>("--limit") { Description = "How many (1 to 200)." };
        var list = new Command("list", "List your sessions, newest first.") { status, limit };
        common.Action(list, (parse, api, ct) =>
        {
            var query = CommonOptions.Query(("status", parse.GetValue(status)), ("limit", parse.GetValue(limit)?.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return api.GetAsync("sessions" + query, ct);
        }, body => Output.Sessions(body.GetProperty("sessions").EnumerateArray()));

        return new Command("session", "Start, beat, end or list work sessions.") { start, beat, end, list };
    }
}
