using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Accounts;
using Hourdini.Grains.Common;
using Hourdini.Grains.Sessions;
using Hourdini.Grains.Users;
using Hourdini.Silo.Storage.Agents;
using Hourdini.Silo.Storage.Catalog;
using Hourdini.Silo.Storage.Tracking;

namespace Hourdini.Gateway.Api;

/// <summary>Sessions and their beats (R1–R7, R9, R10). Reads come from PostgreSQL; changes go through the user's grain.</summary>
public static class Sessions
{
    /// <summary>Exactly one of <c>project_id</c> and <c>project_name</c> (a partial, case-insensitive match).</summary>
    public sealed record StartRequest(
        string? ProjectId, string? ProjectName, string? Description, JsonElement? Environment,
        [property: OpenApi.Values("idle", "agent")] string? Previous);

    [OpenApi.Requires("kind")]
    public sealed record BeatRequest([property: OpenApi.Values("active", "agent", "idle")] string? Kind, [property: OpenApi.Values("idle", "agent")] string? Previous);

    [OpenApi.Requires("type", "message")]
    public sealed record EventRequest([property: OpenApi.Values("log")] string? Type, string? Message, string? TaskId);

    public static void MapSessions(this RouteGroupBuilder api)
    {
        // An agent starts, reads and drives only its own sessions (R8, R21, R22): GetOwnAsync and the grains check whose a
        // session is, an agent's active beat is refused, and an agent's view of a session carries no rate.
        var sessions = api.MapGroup("/sessions").RequireAuthorization()
            .AllowAgents("its own sessions and timelines; beats agent and idle only; no rates")
            .WithTags("Sessions");
        sessions.MapPost("", async (StartRequest body, HttpContext context, CatalogStore catalog, IGrainFactory grains, TimeProvider clock) =>
            (await StartAsync(body, context, catalog, grains, clock)).ToHttp())
            .Returns<OpenApi.SessionStarted>("startSession", "Start a session", StatusCodes.Status201Created);
        sessions.MapGet("", async (
            string? status, [FromQuery(Name = "project_id")] string? projectId, string? cursor, int? limit, HttpContext context, TrackingQueries tracking, TimeProvider clock) =>
            (await ListAsync(status, projectId, cursor, limit, context, tracking, clock)).ToHttp())
            .Returns<OpenApi.SessionList>("listSessions", "List sessions, newest first");
        sessions.MapGet("/{id}", async (string id, HttpContext context, TrackingQueries tracking, TimeProvider clock) =>
            (await GetAsync(id, context, tracking, clock)).ToHttp())
            .Returns<OpenApi.SessionReply>("getSession", "Read a session");
        sessions.MapPost("/{id}/beat", async (string id, BeatRequest body, HttpContext context, IGrainFactory grains, TimeProvider clock) =>
            (await BeatAsync(id, body, context, grains, clock)).ToHttp()).RenewsLeaseInTurn()
            .Returns<OpenApi.SessionReply>("beatSession", "Change a session's beat (active, agent or idle)");
        sessions.MapPost("/{id}/end", async (string id, HttpContext context, IGrainFactory grains, TimeProvider clock) =>
            (await EndAsync(id, context, grains, clock)).ToHttp()).RenewsLeaseInTurn()
            .Returns<OpenApi.SessionEnded>("endSession", "End a session, writing its time entry");
        sessions.MapPost("/{id}/events", async (string id, EventRequest body, HttpContext context, IGrainFactory grains) =>
            (await LogAsync(id, body, context, grains)).ToHttp()).RenewsLeaseInTurn()
            .Returns<OpenApi.EventReply>("logSessionEvent", "Log to a session's timeline", StatusCodes.Status201Created);
        sessions.MapPost("/{id}/heartbeat", async (string id, HttpContext context, TrackingQueries tracking) =>
        {
            // The lease was renewed as the call arrived (R15, AgentPresence); here the session must be the caller's and open.
            var caller = context.Caller();
            var holder = await tracking.GetSessionHolderAsync(caller.OrgId, Validate.Id(id, "Session"), context.RequestAborted);
            return holder is not { } session || !IsOwn(caller, session.UserId, session.AgentId)
                ? throw Refusal.NotFound("Session")
                : session.Stopped
                    ? throw Refusal.Conflict("session_stopped", "The session is stopped; a stopped session cannot change.")
                    : Results.NoContent();
        }).ReturnsNothing("heartbeatSession", "Tell that an agent's session is still alive (renews its lease)");
        sessions.MapGet("/{id}/timeline", async (string id, int? after, int? limit, HttpContext context, TrackingQueries tracking, AgentStore agents) =>
            (await TimelineAsync(id, after, limit, context, tracking, agents)).ToHttp())
            .Returns<OpenApi.Timeline>("getSessionTimeline", "Read a session's timeline, after a sequence number");

        api.MapGet("/me/focus", async (HttpContext context, TrackingQueries tracking) =>
        {
            var caller = context.Caller();
            var state = await tracking.GetUserStateAsync(caller.OrgId, caller.UserId, context.RequestAborted);
            object? focus = state switch
            {
                { FocusedSessionId: { } sessionId } => new { type = "session", id = sessionId },
                { Timer: { } timer } => new { type = "timer", id = timer.Id },
                _ => null,
            };
            return Results.Ok(new { focus });
        }).RequireAuthorization().WithTags("Sessions")
            .Returns<OpenApi.FocusReply>("getFocus", "Read what the caller is focused on: a session, the timer, or nothing");
    }

    public static async Task<Answer> StartAsync(
        StartRequest body, HttpContext context, CatalogStore catalog, IGrainFactory grains, TimeProvider clock)
    {
        // R11: validate everything before anything is created; the start then is one turn.
        var caller = context.Caller().EnsureCanTrack();
        var description = Work.Description(body.Description);
        var previous = Previous(body.Previous);
        var environment = Environment(body.Environment);
        var project = await catalog.ResolveProjectAsync(caller, body.ProjectId, body.ProjectName, context.RequestAborted);

        var started = await Work.RetryIfStaleAsync(() => grains.UserGrain(caller).StartSessionAsync(
            new StartSession(project.Terms, description, previous, caller.AgentId, environment.ToJsonString())));
        return Answer.Created($"/api/v1/sessions/{started.Session.Id}", new
        {
            session = View(started.Session, clock.GetUtcNow(), caller),
            stopped_timer_entry = started.StoppedTimerEntry is { } entry ? TimeEntries.View(entry, caller) : null,
            updates = caller.AgentId is null ? null : Agents.UpdatesView(started.Updates),
            budget = await Budgets.ForProjectAsync(context, caller, project.Id), // R32
        });
    }

    public static async Task<Answer> ListAsync(
        string? status, string? projectId, string? cursor, int? limit, HttpContext context, TrackingQueries tracking, TimeProvider clock)
    {
        var caller = context.Caller();
        bool? open = status switch
        {
            null => null,
            "open" => true,
            "stopped" => false,
            _ => throw Refusal.Invalid("status must be \"open\" or \"stopped\"."),
        };
        var (page, next) = await tracking.ListSessionsAsync(
            caller.OrgId, caller.UserId, caller.AgentId, open, Validate.OptionalId(projectId, "Project"), Cursors.Decode(cursor), Validate.Limit(limit),
            context.RequestAborted);
        var now = clock.GetUtcNow();
        return new Answer(new { sessions = page.Select(s => View(s, now, caller)), next_cursor = Cursors.Encode(next) });
    }

    public static async Task<Answer> GetAsync(string id, HttpContext context, TrackingQueries tracking, TimeProvider clock) =>
        new(new { session = View(await GetOwnAsync(id, context, tracking), clock.GetUtcNow(), context.Caller()) });

    /// <summary>The session the caller works in now: an agent's open session (R8), or a person's focused one (R3).</summary>
    public static async Task<Answer> CurrentAsync(HttpContext context, TrackingQueries tracking, TimeProvider clock)
    {
        var caller = context.Caller();
        var state = await tracking.GetUserStateAsync(caller.OrgId, caller.UserId, context.RequestAborted);
        var id = caller.AgentId is { } agentId
            ? state.AgentSessions.TryGetValue(agentId, out var open) ? open : (Guid?)null
            : state.FocusedSessionId;
        return id is { } sessionId
            ? await GetAsync(sessionId.ToString(), context, tracking, clock)
            : throw new Refusal(
                RefusalKind.NotFound,
                "not_found",
                $"You have no {(caller.IsAgent ? "open" : "focused")} session now. Start one with session_start, or pass session_id (list_sessions shows your sessions).");
    }

    public static async Task<Answer> BeatAsync(string id, BeatRequest body, HttpContext context, IGrainFactory grains, TimeProvider clock)
    {
        var caller = context.Caller().EnsureCanTrack();
        if (!BeatKinds.TryParse(body.Kind, out var kind))
        {
            throw Refusal.Invalid("kind must be \"active\", \"agent\" or \"idle\".");
        }

        // R21: active means a person is driving. An agent never takes its person's place: refused before anything moves,
        // so the person's timer keeps running and their focus stays where it is.
        if (kind == BeatKind.Active && caller.IsAgent)
        {
            throw AgentScope.Refused("An agent token may set only the agent and idle beats; active means a person is driving.");
        }

        var sessionId = Validate.Id(id, "Session");
        var previous = Previous(body.Previous);

        // A switch between agent and idle on a session that is not active cannot move the user's focus (R3): it goes
        // straight to the session's grain. Anything else is a focus change, a turn of the user's grain.
        var target = grains.GetGrain<ISessionGrain>(GrainKeys.For(caller.OrgId, sessionId));
        var session = await Work.RetryIfStaleAsync(async () =>
            (kind == BeatKind.Active ? null : await target.SwitchUnfocusedBeatAsync(new SessionCaller(caller.UserId, caller.AgentId), kind))
            ?? await grains.UserGrain(caller).BeatAsync(sessionId, kind, previous, caller.AgentId));
        return new Answer(new { session = View(session, clock.GetUtcNow(), caller) });
    }

    public static async Task<Answer> EndAsync(string id, HttpContext context, IGrainFactory grains, TimeProvider clock)
    {
        var caller = context.Caller().EnsureCanTrack();
        var sessionId = Validate.Id(id, "Session");
        var ended = await Work.RetryIfStaleAsync(() => grains.UserGrain(caller).EndSessionAsync(sessionId, caller.AgentId));
        return new Answer(new
        {
            session = View(ended.Session, clock.GetUtcNow(), caller),
            entry = ended.Entry is { } entry ? TimeEntries.View(entry, caller) : null,
        });
    }

    public static async Task<Answer> LogAsync(string id, EventRequest body, HttpContext context, IGrainFactory grains)
    {
        var caller = context.Caller().EnsureCanTrack();
        if (body.Type != SessionEventTypes.Log)
        {
            throw Refusal.Invalid("type must be \"log\".");
        }

        var message = Validate.Text(body.Message, "message", 10_000);
        var taskId = Validate.OptionalId(body.TaskId, "Task");
        // A log changes only its session: it goes straight to the session's grain, which checks it is the caller's.
        var session = grains.GetGrain<ISessionGrain>(GrainKeys.For(caller.OrgId, Validate.Id(id, "Session")));
        var logged = await Work.RetryIfStaleAsync(() => session.LogAsync(new SessionCaller(caller.UserId, caller.AgentId), message, taskId));
        return Answer.Created($"/api/v1/sessions/{id}/timeline", new { @event = EventView(logged) });
    }

    /// <summary>A session's timeline in order, a page of events after sequence number <paramref name="after"/>.</summary>
    public static async Task<Answer> TimelineAsync(string id, int? after, int? limit, HttpContext context, TrackingQueries tracking, AgentStore agents)
    {
        var session = await GetOwnAsync(id, context, tracking);
        var pageSize = Validate.Limit(limit ?? 200);
        var events = await agents.TimelineAsync(session.OrgId, session.Id, Math.Max(0, after ?? 0), pageSize, context.RequestAborted);
        return new Answer(new
        {
            events = events.Select(EventView),
            next_after = events.Count == pageSize ? events[^1].Seq : (int?)null,
        });
    }

    /// <summary>
    /// Sessions are personal: someone else's, or another org's, is unknown (404). An agent sees only
    /// the sessions it started.
    /// </summary>
    public static async Task<SessionState> GetOwnAsync(string id, HttpContext context, TrackingQueries tracking)
    {
        var caller = context.Caller();
        var session = await tracking.GetSessionAsync(caller.OrgId, Validate.Id(id, "Session"), context.RequestAborted);
        return session is not null && IsOwn(caller, session.UserId, session.AgentId) ? session : throw Refusal.NotFound("Session");
    }

    private static bool IsOwn(Caller caller, Guid userId, Guid? agentId) =>
        userId == caller.UserId && (caller.AgentId is null || agentId == caller.AgentId);

    private static BeatKind Previous(string? previous) => previous switch
    {
        null or "idle" => BeatKind.Idle,
        "agent" => BeatKind.Agent,
        _ => throw Refusal.Invalid("previous must be \"idle\" or \"agent\"."),
    };

    /// <summary>R12: what the client says about where it runs, e.g. {"os": "linux", "tools": ["git"]}.</summary>
    private static JsonNode Environment(JsonElement? environment)
    {
        if (environment is not { } env || env.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return new JsonObject();
        }

        var raw = env.GetRawText();
        if (env.ValueKind != JsonValueKind.Object || raw.Length > 8_192)
        {
            throw Refusal.Invalid("environment must be a JSON object of at most 8 KB.");
        }

        // PostgreSQL's jsonb cannot hold U+0000 or a lone surrogate, so they are refused here rather than failing at commit (R24).
        Validate.JsonText(env, "environment");

        return JsonNode.Parse(raw)!;
    }

    /// <summary>
    /// R22: the fields of a session an agent sees: its timeline and totals in seconds, never its rate or currency. A
    /// field the person's view gains later stays hidden from agents until it is listed here.
    /// </summary>
    private static readonly IReadOnlySet<string> AgentFields = new HashSet<string>
    {
        "id", "project_id", "user_id", "agent_id", "description", "status", "bill_agent_time", "current_beat", "started_at",
        "stopped_at", "duration_seconds", "beats", "totals", "tasks_worked_on", "logs_count", "tasks_completed", "metadata", "entry_id",
    };

    /// <summary>A session as <paramref name="caller"/> may see it: whole for a person, without money for an agent (R22).</summary>
    public static object View(SessionState s, DateTimeOffset now, Caller caller) =>
        caller.IsAgent ? AgentScope.Only(View(s, now), AgentFields) : View(s, now);

    public static object View(SessionState s, DateTimeOffset now)
    {
        var totals = s.TotalsAt(now);
        var open = s.IsStopped ? null : s.Beats[^1];
        return new
        {
            id = s.Id,
            project_id = s.ProjectId,
            user_id = s.UserId,
            agent_id = s.AgentId,
            description = s.Description,
            status = s.Status,
            bill_agent_time = s.BillAgentTime,
            current_beat = open is null ? null : new { kind = open.Kind.ToWire(), since = open.StartedAt },
            started_at = s.StartedAt,
            stopped_at = s.StoppedAt,
            duration_seconds = s.StoppedAt is { } stopped ? (long?)((long)(stopped - s.StartedAt).TotalMilliseconds / 1000) : null,
            beats = s.Beats.Select(b => new { kind = b.Kind.ToWire(), started_at = b.StartedAt, ended_at = b.EndedAt }),
            totals = new
            {
                active_seconds = totals.ActiveSeconds,
                agent_seconds = totals.AgentSeconds,
                idle_seconds = totals.IdleSeconds,
                billable_seconds = totals.BillableSeconds(s.BillAgentTime),
            },
            tasks_worked_on = s.TasksWorkedOn,
            logs_count = s.LogsCount,
            tasks_completed = s.TasksCompleted.Count,
            metadata = JsonDocument.Parse(s.Metadata).RootElement,
            rate = s.Rate,
            agent_rate = s.AgentRate,
            currency = s.Currency,
            entry_id = s.EntryId,
        };
    }

    public static object EventView(SessionEvent e) =>
        new { seq = e.Seq, type = e.Type, at = e.At, data = JsonDocument.Parse(e.Data).RootElement };
}
