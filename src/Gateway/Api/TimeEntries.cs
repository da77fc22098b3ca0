using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Accounts;
using Hourdini.Grains.Common;
using Hourdini.Grains.Entries;
using Hourdini.Grains.Projects;
using Hourdini.Silo.Storage.Catalog;
using Hourdini.Silo.Storage.Entries;

namespace Hourdini.Gateway.Api;

/// <summary>Time entries: the list, and manual backfill (R18) at the project's current effective rate (R19).</summary>
public static class TimeEntries
{
    private static readonly TimeSpan MaxManualDuration = TimeSpan.FromDays(7);

    /// <summary>A manual entry to create: <c>started_at</c> and exactly one of <c>ended_at</c> and <c>duration_seconds</c>.</summary>
    [OpenApi.Requires("project_id", "started_at")]
    public record EntryRequest(
        string? ProjectId,
        DateTimeOffset? StartedAt,
        DateTimeOffset? EndedAt,
        long? DurationSeconds,
        string? Description,
        IReadOnlyList<string>? Tags,
        bool? Billable);

    /// <summary>
    /// The fields of an entry to change, all optional. A session's entry takes only <c>description</c>, <c>tags</c>,
    /// <c>billable</c> and <c>duration_seconds</c> (R27).
    /// </summary>
    public sealed record EntryPatch(
        string? ProjectId, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, long? DurationSeconds, string? Description,
        IReadOnlyList<string>? Tags, bool? Billable)
        : EntryRequest(ProjectId, StartedAt, EndedAt, DurationSeconds, Description, Tags, Billable);

    /// <summary>The list's filters, all optional.</summary>
    public sealed record ListRequest(DateTimeOffset? From, DateTimeOffset? To, string? ProjectId, string? Source, string? Cursor, int? Limit);

    /// <summary>R22: what an agent may read of entries.</summary>
    private const string AgentEntries = "only the entries its own sessions wrote, without rates or amounts";

    /// <summary>
    /// R22: the fields of an entry an agent sees. Time and the split, never money (rate, currency, amounts) nor billing
    /// (invoices); a field the person's view gains later stays hidden from agents until it is listed here.
    /// </summary>
    private static readonly IReadOnlySet<string> AgentFields = new HashSet<string>
    {
        "id", "project_id", "user_id", "agent_id", "session_id", "source", "description", "started_at", "ended_at",
        "duration_seconds", "billable", "tags", "created_at", "active_seconds", "agent_seconds", "idle_seconds", "agent_billed",
    };

    /// <summary>Only manual and timer entries change by hand; a session's entry is part of its permanent record (R7).</summary>
    private static readonly string[] EditableSources = [EntrySource.Manual, EntrySource.Timer, EntrySource.Import];

    public static void MapTimeEntries(this RouteGroupBuilder api)
    {
        var entries = api.MapGroup("/time-entries").RequireAuthorization().WithTags("Time entries");
        entries.MapGet("", async (
            DateTimeOffset? from, DateTimeOffset? to, [FromQuery(Name = "project_id")] string? projectId, string? source, string? cursor, int? limit,
            HttpContext context, EntryStore store) =>
            (await ListAsync(new ListRequest(from, to, projectId, source, cursor, limit), context, store)).ToHttp())
            .AllowAgents(AgentEntries)
            .Returns<OpenApi.TimeEntryList>("listTimeEntries", "List time entries, newest first");
        entries.MapPost("", async (EntryRequest body, HttpContext context, CatalogStore catalog, EntryStore store, TimeProvider clock) =>
            (await CreateAsync(body, context, catalog, store, clock)).ToHttp())
            .Returns<OpenApi.TimeEntryReply>("createTimeEntry", "Add a manual time entry", StatusCodes.Status201Created);
        entries.MapGet("/summary", SummaryAsync).Returns<OpenApi.EntrySummary>("summarizeTimeEntries", "Totals per project and currency");
        entries.MapGet("/{id}", async (string id, HttpContext context, EntryStore store, CatalogStore catalog) =>
        {
            var caller = context.Caller();
            var entry = await store.GetAsync(caller.OrgId, Validate.Id(id, "Time entry"), context.RequestAborted);
            // As in the list: a person reads their own entries; a viewer those on the clients granted to them.
            var visible = entry is not null && (caller.ViewerScope() is { } viewer
                ? await catalog.GetProjectAsync(caller.OrgId, entry.ProjectId, viewer, context.RequestAborted) is not null
                : entry.UserId == caller.UserId);
            if (!visible)
            {
                throw Refusal.NotFound("Time entry");
            }

            // R22: its person's other entries are known to the agent's owner, and refused to the agent.
            return caller.IsAgent && !WrittenBy(entry!, caller.AgentId)
                ? throw AgentScope.Refused("An agent reads only the entries its own sessions wrote.")
                : Results.Ok(new { time_entry = View(entry!, caller) });
        }).AllowAgents(AgentEntries).Returns<OpenApi.TimeEntryReply>("getTimeEntry", "Read a time entry");
        entries.MapPatch("/{id}", PatchAsync).Returns<OpenApi.TimeEntryReply>("updateTimeEntry", "Edit a time entry, or correct a session's (R27)");
        entries.MapGet("/{id}/history", async (string id, HttpContext context, EntryStore store) =>
        {
            // R27: the corrections of one of the caller's entries, from the org's audit trail.
            var caller = context.Caller();
            var entryId = Validate.Id(id, "Time entry");
            var entry = await store.GetAsync(caller.OrgId, entryId, context.RequestAborted);
            if (entry is null || entry.UserId != caller.UserId)
            {
                throw Refusal.NotFound("Time entry");
            }

            var events = await store.HistoryAsync(caller.OrgId, entryId, context.RequestAborted);
            return Results.Ok(new
            {
                events = events.Select(e => new { type = e.Type, at = e.At, actor_user_id = e.ActorUserId, data = JsonDocument.Parse(e.DataJson).RootElement }),
            });
        }).Returns<OpenApi.EntryHistory>("getTimeEntryHistory", "Read the corrections of a time entry");
        entries.MapDelete("/{id}", async (string id, HttpContext context, EntryStore store) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var entryId = Validate.Id(id, "Time entry");
            // A keyed delete run again after its first run died answers as that run would have: the entry is gone.
            if (await store.DeleteAsync(caller.OrgId, caller.UserId, entryId, EditableSources, context.RequestAborted)
                || IdempotencyMiddleware.IsRecovering(context) && await store.GetAsync(caller.OrgId, entryId, context.RequestAborted) is null)
            {
                return Results.NoContent();
            }

            var entry = await store.GetAsync(caller.OrgId, entryId, context.RequestAborted);
            throw entry is null || entry.UserId != caller.UserId ? Refusal.NotFound("Time entry")
                : entry.InvoiceId is not null ? EntryStore.Invoiced()
                : Locked();
        }).ReturnsNothing("deleteTimeEntry", "Delete a manual, timer or imported time entry");
    }

    public static async Task<Answer> ListAsync(ListRequest query, HttpContext context, EntryStore store)
    {
        var caller = context.Caller();
        if (query.Source is not null && !EntrySource.IsKnown(query.Source))
        {
            throw Refusal.Invalid("source must be one of timer, session, manual, import.");
        }

        if (query.From > query.To)
        {
            throw Refusal.Invalid("from must not be after to.");
        }

        var filter = new EntryFilter(
            query.From?.ToUniversalTime(), query.To?.ToUniversalTime(), Validate.OptionalId(query.ProjectId, "Project"), query.Source,
            Cursors.Decode(query.Cursor), Validate.Limit(query.Limit), WrittenByAgent: caller.AgentId);
        var (page, next) = await store.ListAsync(caller.OrgId, caller.UserId, caller.ViewerScope(), filter, context.RequestAborted);
        return new Answer(new { time_entries = page.Select(e => View(e, caller)), next_cursor = Cursors.Encode(next) });
    }

    private static async Task<IResult> PatchAsync(
        string id, EntryPatch body, HttpContext context, CatalogStore catalog, EntryStore store, TimeProvider clock)
    {
        var caller = context.Caller().EnsureCanWrite();
        var description = body.Description is null ? null : Work.Description(body.Description);
        var tags = body.Tags is null ? null : Validate.Tags(body.Tags);
        var project = body.ProjectId is null
            ? null
            : await catalog.ResolveProjectAsync(caller, Validate.Text(body.ProjectId, "project_id", 100), null, context.RequestAborted);

        var updated = await store.UpdateAsync(caller.OrgId, caller.UserId, Validate.Id(id, "Time entry"), current =>
            Task.FromResult(current.Source == EntrySource.Session
                ? Corrected(current, body, description, tags, clock.UtcNowMs())
                : Edited(current, body, project, description, tags, clock.UtcNowMs())), context.RequestAborted) ?? throw Refusal.NotFound("Time entry");
        return Results.Ok(new { time_entry = View(updated) });
    }

    /// <summary>A manual, timer or imported entry: any field, as long as it stays a valid span (R10, R24).</summary>
    private static TimeEntry Edited(TimeEntry current, EntryRequest body, Project? project, string? description, IReadOnlyList<string>? tags, DateTimeOffset now)
    {
        // A new start keeps the end where it was, unless a new end or duration is given (as in Toggl).
        var startedAt = Validate.OptionalInstant(body.StartedAt, "started_at", now) ?? current.StartedAt;
        var newEnd = Validate.OptionalInstant(body.EndedAt, "ended_at", now);
        var endedAt = newEnd is null && body.DurationSeconds is null ? current.EndedAt : EndOf(startedAt, newEnd, body.DurationSeconds);
        var (start, end) = Span(startedAt, endedAt, now);
        return current with
        {
            ProjectId = project?.Id ?? current.ProjectId,
            Rate = project?.EffectiveRate ?? current.Rate,
            Currency = project?.Currency ?? current.Currency,
            Description = description ?? current.Description,
            Tags = tags ?? current.Tags,
            Billable = body.Billable ?? current.Billable,
            StartedAt = start,
            EndedAt = end,
            DurationSeconds = (long)(end - start).TotalMilliseconds / 1000,
        };
    }

    /// <summary>
    /// R27: a session's entry is corrected, never rewritten. Its description, tags, billable flag and duration (0 up to
    /// the session's wall-clock span) may change; its project, times and split stay the session's (R7). The duration
    /// before the first correction is kept, and the store records the correction in the org's audit trail.
    /// </summary>
    private static TimeEntry Corrected(TimeEntry current, EntryRequest body, string? description, IReadOnlyList<string>? tags, DateTimeOffset now)
    {
        if (body.ProjectId is not null || body.StartedAt is not null || body.EndedAt is not null)
        {
            throw Refusal.Conflict("entry_locked",
                "A session's entry keeps its session's project and times; only its description, tags, billable flag and duration can be corrected.");
        }

        var span = (long)(current.EndedAt - current.StartedAt).TotalMilliseconds / 1000;
        if (body.DurationSeconds is < 0 || body.DurationSeconds > span)
        {
            throw Refusal.Invalid($"duration_seconds must be between 0 and the session's span, {span} seconds.");
        }

        var corrected = current with
        {
            Description = description ?? current.Description,
            Tags = tags ?? current.Tags,
            Billable = body.Billable ?? current.Billable,
            DurationSeconds = body.DurationSeconds ?? current.DurationSeconds,
        };
        var changed = corrected.Description != current.Description || corrected.Billable != current.Billable
            || corrected.DurationSeconds != current.DurationSeconds || !corrected.Tags.SequenceEqual(current.Tags);
        return !changed
            ? current
            : corrected with { OriginalDurationSeconds = current.OriginalDurationSeconds ?? current.DurationSeconds, CorrectedAt = now };
    }

    private static async Task<IResult> SummaryAsync(
        DateTimeOffset? from, DateTimeOffset? to, [FromQuery(Name = "group_by")] string? groupBy, HttpContext context, EntryStore store)
    {
        var caller = context.Caller();
        if (groupBy is not (null or "project"))
        {
            throw Refusal.Invalid("group_by must be \"project\".");
        }

        if (from > to)
        {
            throw Refusal.Invalid("from must not be after to.");
        }

        var groups = await store.SummarizeByProjectAsync(
            caller.OrgId, caller.UserId, caller.ViewerScope(), from?.ToUniversalTime(), to?.ToUniversalTime(), context.RequestAborted);

        // R20: never converted, so the grand totals are one per currency.
        var totals = groups.GroupBy(g => g.Currency).Select(c => new
        {
            currency = c.Key,
            seconds = c.Sum(g => g.Seconds),
            billable_seconds = c.Sum(g => g.BillableSeconds),
            amount = c.Sum(g => g.Amount),
        });
        return Results.Ok(new
        {
            group_by = "project",
            groups = groups.Select(g => new
            {
                project_id = g.ProjectId,
                project_name = g.ProjectName,
                currency = g.Currency,
                seconds = g.Seconds,
                billable_seconds = g.BillableSeconds,
                amount = g.Amount,
                entries = g.Entries,
            }),
            totals,
        });
    }

    private static Refusal Locked() =>
        Refusal.Conflict("entry_locked", "A session's entry is part of the session's permanent record and cannot be edited or deleted.");

    private static DateTimeOffset EndOf(DateTimeOffset startedAt, DateTimeOffset? endedAt, long? durationSeconds) => (endedAt, durationSeconds) switch
    {
        ({ } end, null) => end.ToUniversalTime(),
        (null, { } seconds) when seconds is > 0 and <= 7 * 86400 => startedAt.AddSeconds(seconds),
        (null, { }) => throw Refusal.Invalid("duration_seconds must be between 1 and 604800 (7 days)."),
        _ => throw Refusal.Invalid("Give exactly one of ended_at and duration_seconds."),
    };

    /// <summary>A manual span: positive, at most 7 days, between 2000 and tomorrow, in whole milliseconds (R10, R24).</summary>
    private static (DateTimeOffset Start, DateTimeOffset End) Span(DateTimeOffset startedAt, DateTimeOffset endedAt, DateTimeOffset now)
    {
        if (endedAt <= startedAt || endedAt - startedAt > MaxManualDuration)
        {
            throw Refusal.Invalid("ended_at must be after started_at, and an entry can span at most 7 days.");
        }

        if (startedAt.Year < 2000 || endedAt > now.AddDays(1))
        {
            throw Refusal.Invalid("An entry must lie between the year 2000 and tomorrow.");
        }

        return (Truncate(startedAt), Truncate(endedAt));
    }

    public static async Task<Answer> CreateAsync(
        EntryRequest body, HttpContext context, CatalogStore catalog, EntryStore store, TimeProvider clock)
    {
        var caller = context.Caller().EnsureCanWrite();
        var now = clock.UtcNowMs();
        var startedAt = Validate.OptionalInstant(body.StartedAt, "started_at", now) ?? throw Refusal.Invalid("started_at is required.");
        (startedAt, var endedAt) = Span(startedAt, EndOf(startedAt, Validate.OptionalInstant(body.EndedAt, "ended_at", now), body.DurationSeconds), now);
        var description = Work.Description(body.Description);
        var tags = Validate.Tags(body.Tags);
        var project = await catalog.ResolveProjectAsync(caller, Validate.Text(body.ProjectId, "project_id", 100), null, context.RequestAborted);

        var entry = new TimeEntry(
            IdempotentRequest.NewId(now, "time_entry"), caller.OrgId, caller.UserId, project.Id, null, null, EntrySource.Manual, description,
            startedAt, endedAt, (long)(endedAt - startedAt).TotalMilliseconds / 1000, body.Billable ?? true,
            project.EffectiveRate, project.Currency, tags, now);
        entry = await store.CreateAsync(entry, context.RequestAborted);
        return Answer.Created($"/api/v1/time-entries/{entry.Id}", new { time_entry = View(entry) });
    }

    private static DateTimeOffset Truncate(DateTimeOffset t) => new(t.Ticks - (t.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    /// <summary>An entry as <paramref name="caller"/> may see it: whole for a person, without money for an agent (R22).</summary>
    public static object View(TimeEntry e, Caller caller) => caller.IsAgent ? AgentScope.Only(View(e), AgentFields) : View(e);

    /// <summary>R22: an entry one of the agent's own sessions wrote.</summary>
    private static bool WrittenBy(TimeEntry e, Guid? agentId) => agentId is not null && e.AgentId == agentId && e.SessionId is not null;

    public static object View(TimeEntry e) => new
    {
        id = e.Id,
        project_id = e.ProjectId,
        user_id = e.UserId,
        agent_id = e.AgentId,
        session_id = e.SessionId,
        source = e.Source,
        description = e.Description,
        started_at = e.StartedAt,
        ended_at = e.EndedAt,
        duration_seconds = e.DurationSeconds,
        billable = e.Billable,
        rate = e.Rate,
        currency = e.Currency,
        tags = e.Tags,
        created_at = e.CreatedAt,

        // R25, R26: the split and what it is worth (amount as a string with two decimals, API.md).
        active_seconds = e.SplitOrHandsOn.ActiveSeconds,
        agent_seconds = e.SplitOrHandsOn.AgentSeconds,
        idle_seconds = e.SplitOrHandsOn.IdleSeconds,
        agent_billed = e.SplitOrHandsOn.AgentBilled,
        agent_rate = e.AgentRate,
        amount = e.Amount.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
        invoice_id = e.InvoiceId,
        original_duration_seconds = e.OriginalDurationSeconds,
        corrected_at = e.CorrectedAt,
    };
}
