using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Users;
using Hourdini.Silo.Storage.Catalog;
using Hourdini.Silo.Storage.Tracking;

namespace Hourdini.Gateway.Api;

/// <summary>The bare running timer (R3, R17).</summary>
public static class Timer
{
    /// <summary>Exactly one of <c>project_id</c> and <c>project_name</c> (a partial, case-insensitive match).</summary>
    public sealed record StartRequest(string? ProjectId, string? ProjectName, string? Description, IReadOnlyList<string>? Tags, bool? Replace);

    public static void MapTimer(this RouteGroupBuilder api)
    {
        var timer = api.MapGroup("/timer").RequireAuthorization().WithTags("Timer");
        timer.MapPut("", async (StartRequest body, HttpContext context, CatalogStore catalog, IGrainFactory grains, TimeProvider clock) =>
            (await StartAsync(body, context, catalog, grains, clock)).ToHttp())
            .Returns<OpenApi.TimerStarted>("startTimer", "Start the timer (replace: true stops a running one first)", StatusCodes.Status201Created);
        timer.MapGet("", async (HttpContext context, TrackingQueries tracking, TimeProvider clock) =>
            (await GetAsync(context, tracking, clock)).ToHttp())
            .Returns<OpenApi.TimerReply>("getTimer", "Read the running timer, or null");
        timer.MapDelete("", async (HttpContext context, IGrainFactory grains) => (await StopAsync(context, grains)).ToHttp())
            .Returns<OpenApi.TimerStopped>("stopTimer", "Stop the timer, writing its time entry").Refuses(StatusCodes.Status404NotFound);
    }

    public static async Task<Answer> StartAsync(StartRequest body, HttpContext context, CatalogStore catalog, IGrainFactory grains, TimeProvider clock)
    {
        var caller = context.Caller().EnsureCanWrite();
        var description = Work.Description(body.Description);
        var tags = Validate.Tags(body.Tags);
        var project = await catalog.ResolveProjectAsync(caller, body.ProjectId, body.ProjectName, context.RequestAborted);
        var started = await Work.RetryIfStaleAsync(() => grains.UserGrain(caller).StartTimerAsync(
            new StartTimer(project.Terms, description, tags, body.Replace ?? false)));
        var now = clock.GetUtcNow();
        return Answer.Created("/api/v1/timer", new
        {
            timer = View(started.Timer, now),
            replaced_entry = started.ReplacedEntry is { } entry ? TimeEntries.View(entry) : null,
        });
    }

    public static async Task<Answer> GetAsync(HttpContext context, TrackingQueries tracking, TimeProvider clock)
    {
        var caller = context.Caller();
        var state = await tracking.GetUserStateAsync(caller.OrgId, caller.UserId, context.RequestAborted);
        return new Answer(new { timer = state.Timer is { } t ? View(t, clock.GetUtcNow()) : null });
    }

    public static async Task<Answer> StopAsync(HttpContext context, IGrainFactory grains)
    {
        var caller = context.Caller().EnsureCanWrite();
        var entry = await Work.RetryIfStaleAsync(() => grains.UserGrain(caller).StopTimerAsync());
        return new Answer(new { entry = TimeEntries.View(entry) });
    }

    public static object View(RunningTimer timer, DateTimeOffset now) => new
    {
        id = timer.Id,
        project_id = timer.ProjectId,
        description = timer.Description,
        tags = timer.Tags,
        started_at = timer.StartedAt,
        elapsed_seconds = Math.Max(0, (long)(now - timer.StartedAt).TotalSeconds),
        rate = timer.Rate,
        currency = timer.Currency,
    };
}
