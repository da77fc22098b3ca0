using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Common;
using Hourdini.Grains.Entries;
using Hourdini.Silo.Storage.Catalog;
using Hourdini.Silo.Storage.Entries;

namespace Hourdini.Gateway.Api;

/// <summary>Time entries: the list, and manual backfill (R18) at the project's current effective rate (R19).</summary>
public static class TimeEntries
{
    private static readonly TimeSpan MaxManualDuration = TimeSpan.FromDays(7);

    public sealed record CreateRequest(
        string? ProjectId,
        DateTimeOffset? StartedAt,
        DateTimeOffset? EndedAt,
        long? DurationSeconds,
        string? Description,
        IReadOnlyList<string?>? Tags,
        bool? Billable);

    public static void MapTimeEntries(this RouteGroupBuilder api)
    {
        var entries = api.MapGroup("/time-entries").RequireAuthorization();
        entries.MapGet("", async (
            DateTimeOffset? from, DateTimeOffset? to, string? projectId, string? source, string? cursor, int? limit,
            HttpContext context, EntryStore store) =>
        {
            var caller = context.Caller();
            if (source is not null && !EntrySource.IsKnown(source))
            {
                throw Refusal.Invalid("source must be one of timer, session, manual, import.");
            }

            if (from > to)
            {
                throw Refusal.Invalid("from must not be after to.");
            }

            var filter = new EntryFilter(
                from?.ToUniversalTime(), to?.ToUniversalTime(), Validate.OptionalId(projectId, "Project"), source,
                Cursors.Decode(cursor), Validate.Limit(limit));
            var (page, next) = await store.ListAsync(caller.OrgId, caller.UserId, caller.ViewerScope(), filter, context.RequestAborted);
            return Results.Ok(new { time_entries = page.Select(View), next_cursor = Cursors.Encode(next) });
        });
        entries.MapPost("", CreateAsync);
    }

    private static async Task<IResult> CreateAsync(
        CreateRequest body, HttpContext context, CatalogStore catalog, EntryStore store, TimeProvider clock)
    {
        var caller = context.Caller().EnsureCanWrite();
        var startedAt = body.StartedAt?.ToUniversalTime() ?? throw Refusal.Invalid("started_at is required.");
        var endedAt = (body.EndedAt, body.DurationSeconds) switch
        {
            ({ } end, null) => end.ToUniversalTime(),
            (null, { } seconds) when seconds is > 0 and <= 7 * 86400 => startedAt.AddSeconds(seconds),
            (null, { }) => throw Refusal.Invalid("duration_seconds must be between 1 and 604800 (7 days)."),
            _ => throw Refusal.Invalid("Give exactly one of ended_at and duration_seconds."),
        };
        var now = clock.UtcNowMs();
        if (endedAt <= startedAt || endedAt - startedAt > MaxManualDuration)
        {
            throw Refusal.Invalid("ended_at must be after started_at, and an entry can span at most 7 days.");
        }

        if (startedAt.Year < 2000 || endedAt > now.AddDays(1))
        {
            throw Refusal.Invalid("An entry must lie between the year 2000 and tomorrow.");
        }

        var description = Work.Description(body.Description);
        var tags = Validate.Tags(body.Tags);
        var project = await catalog.ResolveProjectAsync(caller, Validate.Text(body.ProjectId, "project_id", 100), null, context.RequestAborted);

        // Whole milliseconds, as everywhere else (R10); seconds rounded down once.
        startedAt = Truncate(startedAt);
        endedAt = Truncate(endedAt);
        var entry = new TimeEntry(
            Guid.CreateVersion7(now), caller.OrgId, caller.UserId, project.Id, null, null, EntrySource.Manual, description,
            startedAt, endedAt, (long)(endedAt - startedAt).TotalMilliseconds / 1000, body.Billable ?? true,
            project.EffectiveRate, project.Currency, tags, now);
        await store.CreateAsync(entry, context.RequestAborted);
        return Results.Created($"/api/v1/time-entries/{entry.Id}", new { time_entry = View(entry) });
    }

    private static DateTimeOffset Truncate(DateTimeOffset t) => new(t.Ticks - (t.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

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
    };
}
