using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hourdini.Gateway.Api;
using Hourdini.Gateway.Auth;
using Timer = Hourdini.Gateway.Api.Timer;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Common;
using Hourdini.Grains.Sessions;
using Hourdini.Silo.Storage.Agents;
using Hourdini.Silo.Storage.Catalog;
using Hourdini.Silo.Storage.Entries;
using Hourdini.Silo.Storage.Reports;
using Hourdini.Silo.Storage.Tracking;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Hourdini.Gateway.Mcp;

/// <summary>
/// The MCP tools. Each is a thin call into the same operation the HTTP API runs (<c>Api/…</c>), on
/// behalf of the bearer token of the <c>/mcp</c> request, so every rule lives in one place. Results
/// are the API's JSON bodies; refusals are tool errors carrying the API's problem details and <c>code</c>.
/// Argument names are the API's snake_case field names. As on the API, agent tokens are refused by default
/// (<c>agent_not_allowed</c>, R21, R22): only a tool marked <see cref="AllowAgentsAttribute"/> runs for an agent, and
/// the operation it calls narrows what the agent sees.
/// </summary>
#pragma warning disable IDE1006 // Parameter names are the tools' wire names.
public sealed class HourdiniTools(HttpContext http)
{
    private const string ProjectArgument =
        "The project: its id, or part of its name (case-insensitive; an exact name wins, several partial matches are refused as project_ambiguous). Use list_projects to see them.";

    private const string SessionIdArgument = "The session's id, as returned by session_start or list_sessions.";

    private const string Previous = "what the person's previously focused session (or running timer's place) drops to: \"idle\" (default) or \"agent\".";

    private T Service<T>()
        where T : notnull => http.RequestServices.GetRequiredService<T>();

    [AllowAgents("starts its own session, in an agent beat (R2)")]
    [McpServerTool(Name = "session_start", Title = "Start a work session", ReadOnly = false, Destructive = false, Idempotent = false, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Start a work session on a project: call it once when a block of work for the user begins. " +
        "From an agent token the session starts in agent time (you are working on your own); an agent may have only one open session " +
        "at a time (refused as agent_session_open: end the old one first, or find it with session_get). " +
        "From a person's token the session starts active and becomes their focus: their other focused session drops to idle (or to agent, with previous=\"agent\"), " +
        "and a running timer is stopped into a time entry, returned as stopped_timer_entry. " +
        "Returns {session, stopped_timer_entry, updates, budget}: keep session.id for the other session_* tools; for an agent, updates holds the tasks " +
        "and messages waiting for it, each delivered exactly once.")]
    public Task<CallToolResult> SessionStart(
        [Description(ProjectArgument), MaxLength(200)] string project,
        [Description("A short description of the work, shown on the time entry, e.g. \"Refactor billing export\"."), MaxLength(2000)] string? description = null,
        [Description("Optional facts about where you run, e.g. {\"client\": \"claude-code\", \"model\": \"…\", \"os\": \"linux\"}. At most 8 KB.")]
        JsonElement? environment = null,
        [Description("For a person's token only: " + Previous + " Agents leave it out."), AllowedValues("idle", "agent")] string? previous = null) =>
        Run(() => Sessions.StartAsync(
            new Sessions.StartRequest(ProjectId(project), ProjectName(project), description, environment, previous),
            http, Service<CatalogStore>(), Service<IGrainFactory>(), Service<TimeProvider>()));

    [AllowAgents("its own sessions, agent and idle only (R21)")]
    [McpServerTool(Name = "session_beat", Title = "Change who is working in a session", ReadOnly = false, Destructive = false, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Record who is driving a session from now on: kind=\"idle\" when your run pauses and you wait for the user, kind=\"agent\" when you resume on your own. " +
        "An agent may beat only its own sessions, and only agent or idle: kind=\"active\" means the human is working, and from an agent token it is refused as agent_not_allowed. " +
        "From a person's token, kind=\"active\" (always billable) makes this their focused session. Agent time is billable only if the project bills agent time. " +
        "Beating the kind the session already has changes nothing. A stopped session is refused as session_stopped. " +
        "Returns {session} with its current beat and totals (without the list of beats: session_get has it).")]
    public Task<CallToolResult> SessionBeat(
        [Description(SessionIdArgument)] string session_id,
        [Description("\"agent\" (you are working on your own), \"idle\" (nobody is working) or, for a person's token only, \"active\" (the human is driving)."),
         AllowedValues("agent", "idle", "active")] string kind,
        [Description("Only with kind=\"active\": " + Previous), AllowedValues("idle", "agent")] string? previous = null) =>
        Run(
            () => Sessions.BeatAsync(session_id, new Sessions.BeatRequest(kind, previous), http, Service<IGrainFactory>(), Service<TimeProvider>()),
            body => (body["session"] as JsonObject)?.Remove("beats"));

    [AllowAgents("its own sessions")]
    [McpServerTool(Name = "session_log", Title = "Log progress in a session", ReadOnly = false, Destructive = false, Idempotent = false, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Write a line to the session's timeline: what you did, decided or found. Call it at meaningful steps (not for every keystroke). " +
        "Pass task_id when the line is about one of your tasks. Returns {event} with its sequence number.")]
    public Task<CallToolResult> SessionLog(
        [Description(SessionIdArgument)] string session_id,
        [Description("What happened, in plain words."), MaxLength(10_000)] string message,
        [Description("Optional: the id of the task (from session_start or pull_updates) this line is about.")] string? task_id = null) =>
        Run(() => Sessions.LogAsync(session_id, new Sessions.EventRequest(SessionEventTypes.Log, message, task_id), http, Service<IGrainFactory>()));

    [AllowAgents("its own sessions")]
    [McpServerTool(Name = "session_end", Title = "End a session", ReadOnly = false, Destructive = true, Idempotent = false, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "End a session when its block of work is finished. This cannot be undone: the session stops for good and writes one time entry with its billable time " +
        "(none if nothing was billable). Returns {session, entry}. Ending an already stopped session is refused as session_stopped.")]
    public Task<CallToolResult> SessionEnd([Description(SessionIdArgument)] string session_id) =>
        Run(() => Sessions.EndAsync(session_id, http, Service<IGrainFactory>(), Service<TimeProvider>()));

    [AllowAgents("its own sessions, without rates")]
    [McpServerTool(Name = "session_get", Title = "Show a session", ReadOnly = true, Destructive = false, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Show a session: its status, current beat, the beats so far and the active/agent/idle/billable totals in seconds. " +
        "Without session_id it shows the session you work in now: an agent's open session, or the person's focused one. Returns {session}.")]
    public Task<CallToolResult> SessionGet([Description("The session's id; leave it out for your current session.")] string? session_id = null) =>
        Run(() => session_id is null
            ? Sessions.CurrentAsync(http, Service<TrackingQueries>(), Service<TimeProvider>())
            : Sessions.GetAsync(session_id, http, Service<TrackingQueries>(), Service<TimeProvider>()));

    [AllowAgents("its own sessions, without rates")]
    [McpServerTool(Name = "list_sessions", Title = "List sessions", ReadOnly = true, Destructive = false, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "List your sessions, newest first (an agent sees only the sessions it started), optionally only open or stopped ones, or one project's. " +
        "Each comes without its list of beats (session_get has it). Returns {sessions, next_cursor}; pass next_cursor back as cursor for the next page.")]
    public Task<CallToolResult> ListSessions(
        [Description("Optional: \"open\" or \"stopped\"."), AllowedValues("open", "stopped")] string? status = null,
        [Description("Optional: only this project's sessions (its id; see list_projects).")] string? project_id = null,
        [Description("Optional page size (default 50)."), Range(1, 200)] long? limit = null,
        [Description("Optional: next_cursor from the previous page.")] string? cursor = null) =>
        Run(
            () => Sessions.ListAsync(status, project_id, cursor, Limit(limit), http, Service<TrackingQueries>(), Service<TimeProvider>()),
            WithoutBeats("sessions"));

    [AllowAgents("its own sessions")]
    [McpServerTool(Name = "session_timeline", Title = "Read a session's timeline", ReadOnly = true, Destructive = false, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Read a session's timeline in order: its start, the lines logged with session_log, pulls and its end, each with a sequence number. " +
        "Returns {events, next_after}; pass next_after back as after for the next page (null when there is none).")]
    public Task<CallToolResult> SessionTimeline(
        [Description(SessionIdArgument)] string session_id,
        [Description("Optional: only events after this sequence number."), Range(0, int.MaxValue)] long? after = null,
        [Description("Optional page size (default 200)."), Range(1, 200)] long? limit = null) =>
        Run(() => Sessions.TimelineAsync(session_id, (int?)after, Limit(limit), http, Service<TrackingQueries>(), Service<AgentStore>()));

    [AllowAgents("its own tasks and messages")]
    [McpServerTool(Name = "pull_updates", Title = "Pull new tasks and messages", ReadOnly = false, Destructive = false, Idempotent = false, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Fetch the tasks assigned to you and the messages sent to you since your last pull; each is delivered exactly once, so act on or remember what you get. " +
        "Call it between runs, or when told there is news. Agent tokens only (a personal token is refused as agent_token_required). Returns {tasks, messages, budget}.")]
    public Task<CallToolResult> PullUpdates() => Run(() => Agents.PullUpdatesAsync(null, http, Service<IGrainFactory>()));

    [AllowAgents("only the status of a task assigned to the agent")]
    [McpServerTool(Name = "task_update", Title = "Update a task", ReadOnly = false, Destructive = false, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Move a task on: status=\"in_progress\" when you start on it, \"done\" when it is finished (it then counts on the session you work in), \"open\" to hand it back. " +
        "An agent may change only the status of a task assigned to it (anything else is refused as agent_not_allowed, another's task is not_found); " +
        "a person may also rename it. Returns {task}.")]
    public Task<CallToolResult> TaskUpdate(
        [Description("The task's id, from session_start, pull_updates or session_timeline.")] string task_id,
        [Description("The task's new status."), AllowedValues("open", "in_progress", "done")] string? status = null,
        [Description("A new title (persons only)."), MaxLength(500)] string? title = null) =>
        Run(() => Tasks.UpdateAsync(task_id, new Tasks.PatchRequest(title, status, null, null), http, Service<AgentStore>(), Service<IGrainFactory>()));

    [McpServerTool(Name = "timer_start", Title = "Start the timer", ReadOnly = false, Destructive = false, Idempotent = false, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Start the person's plain timer on a project (not a session). Only one timer runs at a time: if one is running this is refused as timer_running unless replace=true, " +
        "which stops it into an entry first (returned as replaced_entry). Personal tokens only. Returns {timer, replaced_entry}.")]
    public Task<CallToolResult> TimerStart(
        [Description(ProjectArgument), MaxLength(200)] string project,
        [Description("What the time is for, shown on the entry."), MaxLength(2000)] string? description = null,
        [Description("Optional tags, e.g. [\"meeting\"].")] string[]? tags = null,
        [Description("true to stop a running timer (into an entry) and start this one.")] bool? replace = null) =>
        Run(() => Timer.StartAsync(
            new Timer.StartRequest(ProjectId(project), ProjectName(project), description, tags, replace),
            http, Service<CatalogStore>(), Service<IGrainFactory>(), Service<TimeProvider>()));

    [McpServerTool(Name = "timer_stop", Title = "Stop the timer", ReadOnly = false, Destructive = false, Idempotent = false, OpenWorld = false, UseStructuredContent = true)]
    [Description("Stop the running timer; its time becomes a time entry. Refused as not_found when none runs. Personal tokens only. Returns {entry}.")]
    public Task<CallToolResult> TimerStop() => Run(() => Timer.StopAsync(http, Service<IGrainFactory>()));

    [McpServerTool(Name = "timer_get", Title = "Show the timer", ReadOnly = true, Destructive = false, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Show the running timer with its elapsed seconds, or {\"timer\": null} when none runs. Personal tokens only. Returns {timer}.")]
    public Task<CallToolResult> TimerGet() => Run(() => Timer.GetAsync(http, Service<TrackingQueries>(), Service<TimeProvider>()));

    [McpServerTool(Name = "log_time", Title = "Log time after the fact", ReadOnly = false, Destructive = false, Idempotent = false, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Backfill a manual time entry for work already done, at the project's current rate. Give started_at and either ended_at or duration_seconds; " +
        "an entry spans at most 7 days and lies between the year 2000 and tomorrow. Personal tokens only. Returns {time_entry}.")]
    public Task<CallToolResult> LogTime(
        [Description(ProjectArgument), MaxLength(200)] string project,
        [Description("When the work started, e.g. \"2026-11-20T09:00:00Z\"."), DataType(DataType.DateTime)] string started_at,
        [Description("When it ended. Leave out if you give duration_seconds."), DataType(DataType.DateTime)] string? ended_at = null,
        [Description("How long it took, in seconds. Leave out if you give ended_at."), Range(1, 604_800)] long? duration_seconds = null,
        [Description("What the time was for."), MaxLength(2000)] string? description = null,
        [Description("Optional tags.")] string[]? tags = null,
        [Description("false to record the time as not billable; default true.")] bool? billable = null) =>
        Run(async () =>
        {
            var catalog = Service<CatalogStore>();
            var resolved = await catalog.ResolveProjectAsync(http.Caller(), ProjectId(project), ProjectName(project), http.RequestAborted);
            var request = new TimeEntries.EntryRequest(
                resolved.Id.ToString(), Time(started_at, "started_at"), ended_at is null ? null : Time(ended_at, "ended_at"), duration_seconds, description, tags, billable);
            return await TimeEntries.CreateAsync(request, http, catalog, Service<EntryStore>(), Service<TimeProvider>());
        });

    [AllowAgents("the org's non-archived projects without rates")]
    [McpServerTool(Name = "list_projects", Title = "List projects", ReadOnly = true, Destructive = false, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "List the org's projects by name with their ids and whether agent time is billed (a person also sees rates and currency; an agent sees the client's name and only projects that take work). " +
        "Use it to find the project for session_start, timer_start or log_time. Returns {projects, next_cursor}; pass next_cursor back as cursor for the next page.")]
    public Task<CallToolResult> ListProjects(
        [Description("Optional: only projects whose name contains this text."), MaxLength(200)] string? query = null,
        [Description("true to include archived projects (persons only).")] bool? include_archived = null,
        [Description("Optional page size (default 50)."), Range(1, 200)] long? limit = null,
        [Description("Optional: next_cursor from the previous page.")] string? cursor = null) =>
        Run(async () => ProjectPages.Page(await Catalog.ListProjectsAsync(query, include_archived, http, Service<CatalogStore>()), cursor, Limit(limit)));

    [AllowAgents("only the entries its own sessions wrote, without rates or amounts")]
    [McpServerTool(Name = "list_entries", Title = "List time entries", ReadOnly = true, Destructive = false, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "List time entries, newest first, optionally between two times and for one project or source. An agent sees only the entries its own sessions wrote, without rates. " +
        "Returns {time_entries, next_cursor}; pass next_cursor back as cursor for the next page.")]
    public Task<CallToolResult> ListEntries(
        [Description("Optional: entries starting at or after this time."), DataType(DataType.DateTime)] string? from = null,
        [Description("Optional: entries starting before this time."), DataType(DataType.DateTime)] string? to = null,
        [Description("Optional: only this project's entries (its id; see list_projects).")] string? project_id = null,
        [Description("Optional: only entries of this source."), AllowedValues("timer", "session", "manual", "import")] string? source = null,
        [Description("Optional page size (default 50)."), Range(1, 200)] long? limit = null,
        [Description("Optional: next_cursor from the previous page.")] string? cursor = null) =>
        Run(() => TimeEntries.ListAsync(
            new TimeEntries.ListRequest(from is null ? null : Time(from, "from"), to is null ? null : Time(to, "to"), project_id, source, cursor, Limit(limit)),
            http,
            Service<EntryStore>()));

    [McpServerTool(Name = "report_summary", Title = "Report time by client, project, agent, day…", ReadOnly = true, Destructive = false, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Sum the time entries that started in a period, grouped by client, project, agent, source, user, day or ISO week (in a time zone), " +
        "with hands-on (active) and agent seconds apart, billable seconds and amounts per currency (never converted). An owner sees the whole org, " +
        "a member their own entries, a viewer the clients granted to them. Personal tokens only. Returns {group_by, tz, groups, totals}.")]
    public Task<CallToolResult> ReportSummary(
        [Description("The period's start: a date, e.g. \"2026-12-01\" (the whole day in tz), or an RFC 3339 time.")] string from,
        [Description("The period's end: a date (included) or an RFC 3339 time (excluded); at most 366 days after from.")] string to,
        [Description("How to group (default project; week is ISO, Monday first)."), AllowedValues("client", "project", "agent", "source", "user", "day", "week")]
        string? group_by = null,
        [Description("IANA time zone for dates, days and weeks, e.g. \"Europe/Berlin\"; default UTC."), MaxLength(64)] string? tz = null) =>
        Run(() => Reports.SummaryAsync(new Reports.SummaryRequest(from, to, group_by, tz), http, Service<ReportStore>()));

    /// <summary>A project argument is an id when it parses as one, otherwise (part of) a name; either way refusals name <c>project</c>.</summary>
    private static string? ProjectId(string project) => Guid.TryParse(project, out _) ? project : null;

    private static string? ProjectName(string project) => Guid.TryParse(project, out _) ? null : Validate.Text(project, "project", 200);

    private static int? Limit(long? limit) => limit is null ? null : (int)Math.Clamp(limit.Value, int.MinValue, int.MaxValue);

    private static DateTimeOffset Time(string value, string field) => HttpSetup.TryParseTime(value, out var time)
        ? time
        : throw Refusal.Invalid($"{field} must be an RFC 3339 timestamp, e.g. 2026-11-20T09:00:00Z.");

    /// <summary>A list of sessions without each one's growing list of beats (session_get has it).</summary>
    public static Action<JsonObject> WithoutBeats(string list) => body =>
    {
        foreach (var session in (body[list] as JsonArray ?? []).OfType<JsonObject>())
        {
            session.Remove("beats");
        }
    };

    /// <summary>
    /// Runs one operation: its answer becomes the tool's result (shaped for a model by <paramref name="shape"/>, with every
    /// project id named), a refusal a tool error with the API's problem details.
    /// </summary>
    private async Task<CallToolResult> Run(Func<Task<Answer>> operation, Action<JsonObject>? shape = null)
    {
        try
        {
            return Result(await McpResults.BodyAsync(await operation(), http, shape), isError: false);
        }
        catch (Exception error) when (error is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            if (Problems.Describe(error).Status >= 500)
            {
                Service<ILogger<HourdiniTools>>().LogError(error, "MCP tool call failed");
            }

            return Refused(error);
        }
    }

    /// <summary>
    /// A tool error whose text is the problem details the HTTP API would answer. It carries no <c>structuredContent</c>:
    /// that is reserved for what the tool's <c>outputSchema</c> describes, and clients that check it (the TypeScript SDK,
    /// MCP Inspector) would otherwise turn every refusal into a protocol error and lose its <c>code</c>.
    /// </summary>
    public static CallToolResult Refused(Exception error)
    {
        var (status, code, title, detail) = Problems.Describe(error);
        var problem = new JsonObject
        {
            ["type"] = $"https://hourdini.dev/problems/{code}",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["code"] = code,
        };
        if (error is Refusal { Field: { } field })
        {
            problem["field"] = field == "project_id" ? "project" : field; // as the HTTP API's problem, named as the tools' argument
        }

        return Result(problem, isError: true);
    }

    private static CallToolResult Result(JsonObject body, bool isError)
    {
        var json = JsonSerializer.SerializeToElement(body, McpEndpoint.ReadableJson);
        return new CallToolResult
        {
            Content = [new TextContentBlock { Text = json.GetRawText() }],
            StructuredContent = isError ? null : json,
            IsError = isError,
        };
    }
}
#pragma warning restore IDE1006
