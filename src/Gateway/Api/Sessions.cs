using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Common;
using Hourdini.Grains.Hosting;
using Hourdini.Grains.Sessions;
using Hourdini.Grains.Users;
using Hourdini.Silo.Storage.Catalog;
using Hourdini.Silo.Storage.Tracking;

namespace Hourdini.Gateway.Api;

/// <summary>Sessions and their beats (R1–R7, R9, R10). Reads come from PostgreSQL; changes go through the user's grain.</summary>
public static class Sessions
{
    public sealed record StartRequest(string? ProjectId, string? ProjectName, string? Description, JsonElement? Environment, string? Previous);

    public sealed record BeatRequest(string? Kind, string? Previous);

    public static void MapSessions(this RouteGroupBuilder api)
    {
        var sessions = api.MapGroup("/sessions").RequireAuthorization();
        sessions.MapPost("", StartAsync);
        sessions.MapGet("", ListAsync);
        sessions.MapGet("/{id}", async (string id, HttpContext context, TrackingQueries tracking, TimeProvider clock) =>
            Results.Ok(new { session = View(await GetOwnAsync(id, context, tracking), clock.GetUtcNow()) }));
        sessions.MapPost("/{id}/beat", async (string id, BeatRequest body, HttpContext context, IGrainFactory grains, TimeProvider clock) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            if (!BeatKinds.TryParse(body.Kind, out var kind))
            {
                throw Refusal.Invalid("kind must be \"active\", \"agent\" or \"idle\".");
            }

            var session = await grains.UserGrain(caller).BeatAsync(Validate.Id(id, "Session"), kind, Previous(body.Previous));
            return Results.Ok(new { session = View(session, clock.GetUtcNow()) });
        });
        sessions.MapPost("/{id}/end", async (string id, HttpContext context, IGrainFactory grains, TimeProvider clock) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var ended = await grains.UserGrain(caller).EndSessionAsync(Validate.Id(id, "Session"));
            return Results.Ok(new
            {
                session = View(ended.Session, clock.GetUtcNow()),
                entry = ended.Entry is { } entry ? TimeEntries.View(entry) : null,
            });
        });
        sessions.MapGet("/{id}/timeline", async (string id, HttpContext context, TrackingQueries tracking) =>
            Results.Ok(new { events = Timeline(await GetOwnAsync(id, context, tracking)) }));

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
        }).RequireAuthorization();
    }

    private static async Task<IResult> StartAsync(
        StartRequest body, HttpContext context, CatalogStore catalog, IGrainFactory grains, TimeProvider clock)
    {
        var caller = context.Caller().EnsureCanWrite();
        var description = Work.Description(body.Description);
        var previous = Previous(body.Previous);
        var metadata = new JsonObject { ["environment"] = Environment(body.Environment) };
        var project = await catalog.ResolveProjectAsync(caller, body.ProjectId, body.ProjectName, context.RequestAborted);

        var started = await grains.UserGrain(caller).StartSessionAsync(
            new StartSession(project.Terms, description, previous, Metadata: metadata.ToJsonString()));
        return Results.Created($"/api/v1/sessions/{started.Session.Id}", new
        {
            session = View(started.Session, clock.GetUtcNow()),
            stopped_timer_entry = started.StoppedTimerEntry is { } entry ? TimeEntries.View(entry) : null,
        });
    }

    private static async Task<IResult> ListAsync(
        string? status, [FromQuery(Name = "project_id")] string? projectId, string? cursor, int? limit, HttpContext context, TrackingQueries tracking, TimeProvider clock)
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
            caller.OrgId, caller.UserId, open, Validate.OptionalId(projectId, "Project"), Cursors.Decode(cursor), Validate.Limit(limit),
            context.RequestAborted);
        var now = clock.GetUtcNow();
        return Results.Ok(new { sessions = page.Select(s => View(s, now)), next_cursor = Cursors.Encode(next) });
    }

    /// <summary>Sessions are personal: someone else's, or another org's, is unknown (404).</summary>
    private static async Task<SessionState> GetOwnAsync(string id, HttpContext context, TrackingQueries tracking)
    {
        var caller = context.Caller();
        var session = await tracking.GetSessionAsync(caller.OrgId, Validate.Id(id, "Session"), context.RequestAborted);
        return session is not null && session.UserId == caller.UserId ? session : throw Refusal.NotFound("Session");
    }

    private static BeatKind Previous(string? previous) => previous switch
    {
        null or "idle" => BeatKind.Idle,
        "agent" => BeatKind.Agent,
        _ => throw Refusal.Invalid("previous must be \"idle\" or \"agent\"."),
    };

    private static JsonNode Environment(JsonElement? environment)
    {
        if (environment is not { } env || env.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return new JsonObject();
        }

        if (env.ValueKind != JsonValueKind.Object || env.GetRawText().Length > 8_192)
        {
            throw Refusal.Invalid("environment must be a JSON object of at most 8 KB.");
        }

        return JsonNode.Parse(env.GetRawText())!;
    }

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
            tasks_worked_on = Array.Empty<Guid>(),
            logs_count = 0,
            tasks_completed = 0,
            metadata = JsonDocument.Parse(s.Metadata).RootElement,
            rate = s.Rate,
            currency = s.Currency,
            entry_id = s.EntryId,
        };
    }

    /// <summary>
    /// The session's story: its start, each beat change and its stop, derived from the beat timeline
    /// (which is immutable once stopped, R7). Agent logs and task events join it with the agents work.
    /// </summary>
    private static IEnumerable<object> Timeline(SessionState s)
    {
        var seq = 0;
        yield return new { seq = ++seq, type = "session_start", at = s.StartedAt, data = (object)new { kind = s.Beats[0].Kind.ToWire() } };
        for (var i = 1; i < s.Beats.Count; i++)
        {
            yield return new
            {
                seq = ++seq,
                type = "beat",
                at = s.Beats[i].StartedAt,
                data = (object)new { kind = s.Beats[i].Kind.ToWire(), previous = s.Beats[i - 1].Kind.ToWire() },
            };
        }

        if (s.StoppedAt is { } stoppedAt)
        {
            var totals = s.TotalsAt(stoppedAt);
            yield return new
            {
                seq = ++seq,
                type = "session_stop",
                at = stoppedAt,
                data = (object)new
                {
                    duration_seconds = (long)(stoppedAt - s.StartedAt).TotalMilliseconds / 1000,
                    billable_seconds = totals.BillableSeconds(s.BillAgentTime),
                    entry_id = s.EntryId,
                },
            };
        }
    }
}
