using System.ComponentModel;
using System.Text.Json;
using Hourdini.Gateway.Api;
using Hourdini.Gateway.Auth;
using Timer = Hourdini.Gateway.Api.Timer;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Common;
using Hourdini.Grains.Sessions;
using Hourdini.Silo.Storage.Catalog;
using Hourdini.Silo.Storage.Entries;
using Hourdini.Silo.Storage.Reports;
using Hourdini.Silo.Storage.Tracking;
using Microsoft.Extensions.Options;
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

    private const string SessionIdArgument = "The session's id, as returned by session_start.";

    private T Service<T>()
        where T : notnull => http.RequestServices.GetRequiredService<T>();

    [AllowAgents("starts its own session, in an agent beat (R2)")]
    [McpServerTool(Name = "session_start", Title = "Start a work session")]
    [Description(
        "Start a work session on a project. Call this once when you begin a block of work for the user, before any session_beat. " +
        "An agent's session starts in agent time (a person's starts active); call session_beat with kind=\"idle\" when your run pauses and kind=\"agent\" when it resumes. " +
        "An agent may have only one open session at a time (refused as agent_session_open): end the old one first, or use session_get to find it. " +
        "Returns {session, updates}: the session (keep session.id for the other session_* tools) and, for an agent, the tasks and messages waiting for it, each delivered exactly once.")]
    public Task<CallToolResult> SessionStart(
        [Description(ProjectArgument)] string project,
        [Description("A short description of the work, shown on the time entry, e.g. \"Refactor billing export\".")] string? description = null,
        [Description("Optional facts about where you run, as a JSON object, e.g. {\"client\": \"claude-code\", \"os\": \"linux\"}. At most 8 KB.")]
        JsonElement? environment = null,
        [Description("For a person's session only: what the person's previously focused session drops to, \"idle\" (default) or \"agent\". Agents leave it out.")] string? previous = null) =>
        Run(() =>
        {
            var (projectId, projectName) = Project(project);
            return Sessions.StartAsync(
                new Sessions.StartRequest(projectId, projectName, description, environment, previous), http, Service<CatalogStore>(), Service<IGrainFactory>(), Service<TimeProvider>());
        });

    [AllowAgents("its own sessions, agent and idle only (R21)")]
    [McpServerTool(Name = "session_beat", Title = "Change who is working in a session", Idempotent = true)]
    [Description(
        "Record who is driving a session from now on. Call it with kind=\"agent\" when you start a run on your own, and with kind=\"idle\" when you finish the run and wait for the user. " +
        "An agent may beat only its own sessions, and only agent or idle: kind=\"active\" means the human is working, and from an agent token it is refused as agent_not_allowed. " +
        "From a person's token, kind=\"active\" (always billable) makes this their focused session; any other session of theirs drops to idle (or to agent, with previous=\"agent\"). " +
        "Agent time is billable only if the project bills agent time. Beating the kind the session already has changes nothing. A stopped session is refused as session_stopped. " +
        "Returns {session} with its current beat and totals.")]
    public Task<CallToolResult> SessionBeat(
        [Description(SessionIdArgument)] string session_id,
        [Description("\"agent\" (you are working on your own), \"idle\" (nobody is working) or, for a person's token only, \"active\" (the human is driving).")] string kind,
        [Description("Only with kind=\"active\": what the previously focused session becomes, \"idle\" (default) or \"agent\".")] string? previous = null) =>
        Run(() => Sessions.BeatAsync(session_id, new Sessions.BeatRequest(kind, previous), http, Service<IGrainFactory>(), Service<TimeProvider>()));

    [AllowAgents("its own sessions")]
    [McpServerTool(Name = "session_log", Title = "Log progress in a session")]
    [Description(
        "Write a line to the session's timeline: what you did, decided or found. Call it at meaningful steps (not for every keystroke). " +
        "Pass task_id when the line is about one of your tasks. Returns {event} with its sequence number.")]
    public Task<CallToolResult> SessionLog(
        [Description(SessionIdArgument)] string session_id,
        [Description("What happened, in plain words; up to 10,000 characters.")] string message,
        [Description("Optional: the id of the task (from session_start or pull_updates) this line is about.")] string? task_id = null) =>
        Run(() => Sessions.LogAsync(session_id, new Sessions.EventRequest(SessionEventTypes.Log, message, task_id), http, Service<IGrainFactory>()));

    [AllowAgents("its own sessions")]
    [McpServerTool(Name = "session_end", Title = "End a session", Destructive = false)]
    [Description(
        "End a session when its block of work is finished. This stops it for good and writes one time entry with its billable time (none if nothing was billable). " +
        "Returns {session, entry}. Ending an already stopped session is refused as session_stopped.")]
    public Task<CallToolResult> SessionEnd([Description(SessionIdArgument)] string session_id) =>
        Run(() => Sessions.EndAsync(session_id, http, Service<IGrainFactory>(), Service<TimeProvider>()));

    [AllowAgents("its own sessions, without rates")]
    [McpServerTool(Name = "session_get", Title = "Show a session", ReadOnly = true)]
    [Description(
        "Show a session: its status, current beat, the beats so far and the active/agent/idle/billable totals in seconds. " +
        "Without session_id it shows the session you work in now: an agent's open session, or the person's focused one. Returns {session}.")]
    public Task<CallToolResult> SessionGet([Description("The session's id; leave it out for your current session.")] string? session_id = null) =>
        Run(() => session_id is null
            ? Sessions.CurrentAsync(http, Service<TrackingQueries>(), Service<TimeProvider>())
            : Sessions.GetAsync(session_id, http, Service<TrackingQueries>(), Service<TimeProvider>()));

    [AllowAgents("its own tasks and messages")]
    [McpServerTool(Name = "pull_updates", Title = "Pull new tasks and messages")]
    [Description(
        "Fetch the tasks assigned to you and the messages sent to you since your last pull; each is delivered exactly once, so act on or remember what you get. " +
        "Call it between runs, or when told there is news. Agent tokens only (a personal token is refused as agent_token_required). Returns {tasks, messages}.")]
    public Task<CallToolResult> PullUpdates() => Run(() => Agents.PullUpdatesAsync(null, http, Service<IGrainFactory>()));

    [McpServerTool(Name = "timer_start", Title = "Start the timer")]
    [Description(
        "Start the person's plain timer on a project (not a session). Only one timer runs at a time: if one is running this is refused as timer_running unless replace=true, " +
        "which stops it into an entry first. Personal tokens only. Returns {timer, replaced_entry}.")]
    public Task<CallToolResult> TimerStart(
        [Description(ProjectArgument)] string project,
        [Description("What the time is for, shown on the entry.")] string? description = null,
        [Description("Optional tags, e.g. [\"meeting\"].")] string[]? tags = null,
        [Description("true to stop a running timer (into an entry) and start this one.")] bool? replace = null) =>
        Run(() =>
        {
            var (projectId, projectName) = Project(project);
            return Timer.StartAsync(
                new Timer.StartRequest(projectId, projectName, description, tags, replace), http, Service<CatalogStore>(), Service<IGrainFactory>(), Service<TimeProvider>());
        });

    [McpServerTool(Name = "timer_stop", Title = "Stop the timer")]
    [Description("Stop the running timer; its time becomes a time entry. Refused as not_found when none runs. Personal tokens only. Returns {entry}.")]
    public Task<CallToolResult> TimerStop() => Run(() => Timer.StopAsync(http, Service<IGrainFactory>()));

    [McpServerTool(Name = "timer_get", Title = "Show the timer", ReadOnly = true)]
    [Description("Show the running timer with its elapsed seconds, or {\"timer\": null} when none runs. Personal tokens only.")]
    public Task<CallToolResult> TimerGet() => Run(() => Timer.GetAsync(http, Service<TrackingQueries>(), Service<TimeProvider>()));

    [McpServerTool(Name = "log_time", Title = "Log time after the fact")]
    [Description(
        "Backfill a manual time entry for work already done, at the project's current rate. Give started_at and either ended_at or duration_seconds; " +
        "an entry spans at most 7 days and lies between the year 2000 and tomorrow. Personal tokens only. Returns {time_entry}.")]
    public Task<CallToolResult> LogTime(
        [Description(ProjectArgument)] string project,
        [Description("When the work started, RFC 3339, e.g. \"2026-11-20T09:00:00Z\".")] string started_at,
        [Description("When it ended, RFC 3339. Leave out if you give duration_seconds.")] string? ended_at = null,
        [Description("How long it took, in seconds (1 to 604800). Leave out if you give ended_at.")] long? duration_seconds = null,
        [Description("What the time was for.")] string? description = null,
        [Description("Optional tags.")] string[]? tags = null,
        [Description("false to record the time as not billable; default true.")] bool? billable = null) =>
        Run(async () =>
        {
            var catalog = Service<CatalogStore>();
            var (projectId, projectName) = Project(project);
            var resolved = await catalog.ResolveProjectAsync(http.Caller(), projectId, projectName, http.RequestAborted);
            var request = new TimeEntries.EntryRequest(
                resolved.Id.ToString(), Time(started_at, "started_at"), ended_at is null ? null : Time(ended_at, "ended_at"), duration_seconds, description, tags, billable);
            return await TimeEntries.CreateAsync(request, http, catalog, Service<EntryStore>(), Service<TimeProvider>());
        });

    [AllowAgents("the org's non-archived projects without rates")]
    [McpServerTool(Name = "list_projects", Title = "List projects", ReadOnly = true)]
    [Description(
        "List the org's projects with their ids and whether agent time is billed (a person also sees rates and currency; an agent sees the client's name and only projects that take work). " +
        "Use it to find the project for session_start, timer_start or log_time. Returns {projects}.")]
    public Task<CallToolResult> ListProjects(
        [Description("Optional: only projects whose name contains this text.")] string? query = null,
        [Description("true to include archived projects.")] bool? include_archived = null) =>
        Run(() => Catalog.ListProjectsAsync(query, include_archived, http, Service<CatalogStore>()));

    [AllowAgents("only the entries its own sessions wrote, without rates or amounts")]
    [McpServerTool(Name = "list_entries", Title = "List time entries", ReadOnly = true)]
    [Description(
        "List time entries, newest first, optionally between two times and for one project or source. An agent sees only the entries its own sessions wrote, without rates. Returns {time_entries, next_cursor}; " +
        "pass next_cursor back as cursor for the next page.")]
    public Task<CallToolResult> ListEntries(
        [Description("Optional: entries starting at or after this time, RFC 3339.")] string? from = null,
        [Description("Optional: entries starting before this time, RFC 3339.")] string? to = null,
        [Description("Optional: only this project's entries (its id; see list_projects).")] string? project_id = null,
        [Description("Optional: \"timer\", \"session\", \"manual\" or \"import\".")] string? source = null,
        [Description("Optional page size, 1 to 200 (default 50).")] long? limit = null,
        [Description("Optional: next_cursor from the previous page.")] string? cursor = null) =>
        Run(() => TimeEntries.ListAsync(
            new TimeEntries.ListRequest(
                from is null ? null : Time(from, "from"), to is null ? null : Time(to, "to"), project_id, source, cursor,
                limit is null ? null : (int)Math.Clamp(limit.Value, int.MinValue, int.MaxValue)),
            http,
            Service<EntryStore>()));

    [McpServerTool(Name = "report_summary", Title = "Report time by client, project, agent, day…", ReadOnly = true)]
    [Description(
        "Sum the time entries that started in a period, grouped by client, project, agent, source, user, day or ISO week (in a time zone), " +
        "with hands-on (active) and agent seconds apart, billable seconds and amounts per currency (never converted). An owner sees the whole org, " +
        "a member their own entries, a viewer the clients granted to them. Personal tokens only. Returns {group_by, tz, groups, totals}.")]
    public Task<CallToolResult> ReportSummary(
        [Description("The period's start: a date, e.g. \"2026-12-01\" (the whole day in tz), or an RFC 3339 time.")] string from,
        [Description("The period's end: a date (included) or an RFC 3339 time (excluded); at most 366 days after from.")] string to,
        [Description("\"client\", \"project\" (default), \"agent\", \"source\", \"user\", \"day\" or \"week\" (ISO, Monday first).")] string? group_by = null,
        [Description("IANA time zone for dates, days and weeks, e.g. \"Europe/Berlin\"; default UTC.")] string? tz = null) =>
        Run(() => Reports.SummaryAsync(new Reports.SummaryRequest(from, to, group_by, tz), http, Service<ReportStore>()));

    /// <summary>A project argument is an id when it parses as one, otherwise (part of) a name.</summary>
    private static (string? Id, string? Name) Project(string project) =>
        Guid.TryParse(project, out _) ? (project, null) : (null, project);

    private static DateTimeOffset Time(string value, string field) => HttpSetup.TryParseTime(value, out var time)
        ? time
        : throw Refusal.Invalid($"{field} must be an RFC 3339 timestamp, e.g. 2026-11-20T09:00:00Z.");

    /// <summary>Runs one operation: its answer becomes the tool's result, a refusal a tool error with the API's problem details.</summary>
    private async Task<CallToolResult> Run(Func<Task<Answer>> operation)
    {
        var json = Service<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        try
        {
            var answer = await operation();
            return Result(JsonSerializer.SerializeToElement(answer.Body, json), isError: false);
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

    /// <summary>A tool error whose body is the problem details the HTTP API would answer.</summary>
    public static CallToolResult Refused(Exception error)
    {
        var (status, code, title, detail) = Problems.Describe(error);
        var problem = JsonSerializer.SerializeToElement(new Dictionary<string, object>
        {
            ["type"] = $"https://hourdini.dev/problems/{code}",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["code"] = code,
        });
        return Result(problem, isError: true);
    }

    private static CallToolResult Result(JsonElement body, bool isError) => new()
    {
        Content = [new TextContentBlock { Text = body.GetRawText() }],
        StructuredContent = body,
        IsError = isError,
    };
}
#pragma warning restore IDE1006
