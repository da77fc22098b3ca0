using Hourdini.Gateway.Auth;
using Hourdini.Grains.Accounts;
using Hourdini.Grains.Common;
using Hourdini.Grains.Projects;
using Hourdini.Grains.Sessions;
using Hourdini.Grains.Users;
using Hourdini.Silo.Storage.Accounts;
using Hourdini.Silo.Storage.Agents;
using Hourdini.Silo.Storage.Catalog;
using Hourdini.Silo.Storage.Entries;
using Hourdini.Silo.Storage.Tracking;

namespace Hourdini.Gateway.Web;

/// <summary>
/// What every signed-in page shows around its content: who and where the user is, the running
/// timer, the open sessions of the sidebar, and the projects the pickers offer. Read from
/// PostgreSQL with the same store queries as the API's reads; every change goes through the API.
/// </summary>
public sealed partial record Shell(
    Caller Caller,
    User User,
    Org Org,
    IReadOnlyList<(Org Org, Role Role)> Orgs,
    RunningTimer? Timer,
    Guid? FocusedSessionId,
    IReadOnlyList<SessionState> OpenSessions,
    IReadOnlyList<Project> Projects,
    IReadOnlyList<Client> Clients,
    IReadOnlyDictionary<Guid, string> AgentNames,
    TimeZoneInfo Zone,
    DateTimeOffset Now,
    IReadOnlyList<Silo.Storage.Budgets.BudgetStatus> Budgets,
    IReadOnlyList<RecentWork> RecentWork)
{
    /// <summary>How many pieces of recent work the sidebar offers to continue, and how many recent projects pickers list first.</summary>
    private const int RecentCount = 5;

    /// <summary>Recent work on projects that still take work, newest first: the sidebar's Recent list.</summary>
    public IEnumerable<RecentWork> Continuable =>
        RecentWork.Where(w => OpenProjects.Any(p => p.Id == w.ProjectId)).Take(RecentCount);

    /// <summary>The projects the user worked on last (running work first), which pickers list before the rest.</summary>
    public IReadOnlyList<Project> RecentProjects =>
        (Timer is { } timer ? [timer.ProjectId] : Array.Empty<Guid>())
            .Concat(OpenSessions.OrderByDescending(s => s.StartedAt).Select(s => s.ProjectId))
            .Concat(RecentWork.Select(w => w.ProjectId))
            .Distinct()
            .Select(ProjectOf)
            .OfType<Project>()
            .Where(p => !p.Archived && !p.ClientArchived)
            .Take(RecentCount)
            .ToList();

    /// <summary>
    /// Live time since <paramref name="from"/> of the running timer and open sessions, counted as their entries will count
    /// it (a session's billable beats), and how many of them are counting right now.
    /// </summary>
    public (long Seconds, int Running) LiveSince(DateTimeOffset from)
    {
        long ms = 0;
        var running = 0;
        if (Timer is { } timer)
        {
            ms += (long)Math.Max(0, (Now - (timer.StartedAt > from ? timer.StartedAt : from)).TotalMilliseconds);
            running++;
        }

        foreach (var session in OpenSessions)
        {
            var totals = Timeline.Totals(Timeline.Since(session.Beats, from), Now);
            ms += totals.ActiveMs + (session.BillAgentTime ? totals.AgentMs : 0);
            var kind = session.Beats[^1].Kind;
            running += kind == BeatKind.Active || (kind == BeatKind.Agent && session.BillAgentTime) ? 1 : 0;
        }

        return (ms / 1000, running);
    }

    /// <summary>R32: the project's budget status, if it has a budget.</summary>
    public Silo.Storage.Budgets.BudgetStatus? BudgetOf(Guid projectId) => Budgets.FirstOrDefault(b => b.Budget.ProjectId == projectId);

    public bool CanWrite => Caller.Role.CanWrite();

    /// <summary>Projects work can be started on: neither it nor its client archived.</summary>
    public IEnumerable<Project> OpenProjects => Projects.Where(p => !p.Archived && !p.ClientArchived);

    public Project? ProjectOf(Guid id) => Projects.FirstOrDefault(p => p.Id == id);

    public string ProjectName(Guid id) => ProjectOf(id)?.Name ?? "Unknown project";

    public string ColorOf(Guid projectId) => ProjectOf(projectId)?.Color ?? "#94a3b8";

    public string? ClientNameOf(Guid projectId) =>
        ProjectOf(projectId) is { } project ? Clients.FirstOrDefault(c => c.Id == project.ClientId)?.Name : null;

    public string? AgentName(Guid? agentId) => agentId is { } id ? AgentNames.GetValueOrDefault(id, "agent") : null;

    public DateTimeOffset Local(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Zone);

    public static async Task<Shell> LoadAsync(Caller caller, HttpContext context)
    {
        var services = context.RequestServices;
        var ct = context.RequestAborted;
        var accounts = services.GetRequiredService<AccountStore>();
        var tracking = services.GetRequiredService<TrackingQueries>();
        var catalog = services.GetRequiredService<CatalogStore>();
        var agents = services.GetRequiredService<AgentStore>();

        var membership = await accounts.GetMembershipAsync(caller.UserId, caller.OrgId, ct) ?? throw Refusal.NotFound("Membership");
        var orgs = await accounts.ListMembershipsAsync(caller.UserId, ct);
        var state = await tracking.GetUserStateAsync(caller.OrgId, caller.UserId, ct);
        var (open, _) = await tracking.ListSessionsAsync(caller.OrgId, caller.UserId, null, true, null, null, 100, ct);
        var projects = await catalog.ListProjectsAsync(caller.OrgId, null, includeArchived: true, caller.ViewerScope(), ct);
        var clients = await catalog.ListClientsAsync(caller.OrgId, caller.ViewerScope(), ct);
        var agentNames = (await agents.ListAsync(caller.OrgId, caller.ViewerScope(), ct)).ToDictionary(a => a.Id, a => a.Name);
        var visible = projects.Select(p => p.Id).ToHashSet();
        var budgets = (await services.GetRequiredService<Silo.Storage.Budgets.BudgetStore>().StatusesAsync(caller.OrgId, null, ct))
            .Where(b => visible.Contains(b.Budget.ProjectId)).ToList();
        var recent = await services.GetRequiredService<EntryStore>().RecentWorkAsync(caller.OrgId, caller.UserId, 20, ct);
        return new Shell(
            caller, membership.User, membership.Org, orgs, state.Timer, state.FocusedSessionId,
            open.OrderBy(s => s.StartedAt).ToList(), projects, clients, agentNames,
            ZoneOf(context), services.GetRequiredService<TimeProvider>().GetUtcNow(), budgets, recent);
    }

    /// <summary>The instant <paramref name="day"/> begins in the viewer's time zone.</summary>
    public DateTimeOffset StartOf(DateOnly day)
    {
        var midnight = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(midnight, Zone.GetUtcOffset(midnight)).ToUniversalTime();
    }

    public DateOnly Today => DateOnly.FromDateTime(Local(Now).DateTime);

    /// <summary>The browser's time zone, which the app's script keeps in the <c>tz</c> cookie; UTC until it has.</summary>
    /// <remarks>Only IANA-shaped names are looked up, so the cookie cannot name a file elsewhere.</remarks>
    public static TimeZoneInfo ZoneOf(HttpContext context) =>
        context.Request.Cookies["tz"] is { Length: > 0 and < 64 } id && ZoneName().IsMatch(id)
            && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone)
            ? zone
            : TimeZoneInfo.Utc;

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$")]
    private static partial System.Text.RegularExpressions.Regex ZoneName();
}
