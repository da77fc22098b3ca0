using Hourdini.Gateway.Http;
using Hourdini.Grains.Common;
using Hourdini.Grains.Sessions;
using Hourdini.Silo.Storage.Tracking;
using Microsoft.AspNetCore.Mvc;

namespace Hourdini.Gateway.Web.Pages.Sessions;

/// <summary>
/// /sessions: the user's sessions, theirs and their agents', newest first, open or stopped and by project, a page at a
/// time; each leads to its own page. The same list as <c>GET /api/v1/sessions</c>, read the same way.
/// </summary>
public sealed class SessionsIndexModel(TrackingQueries tracking) : AppPage
{
    public const int PageSize = 50;

    public IReadOnlyList<SessionState> Sessions { get; private set; } = [];

    /// <summary>"open", "stopped" or null for all.</summary>
    public string? Status { get; private set; }

    public Guid? ProjectId { get; private set; }

    public string? Next { get; private set; }

    public bool IsFirstPage { get; private set; }

    public string? Error { get; private set; }

    public async Task OnGetAsync([FromQuery] string? status, [FromQuery(Name = "project_id")] string? projectId, [FromQuery] string? cursor)
    {
        Status = status is "open" or "stopped" ? status : null;
        ProjectId = Guid.TryParse(projectId, out var id) ? id : null;
        if ((status is { Length: > 0 } && Status is null) || (projectId is { Length: > 0 } && ProjectId is null))
        {
            Error = "That filter is not one this page knows; showing all sessions.";
        }

        Cursor? after = null;
        try
        {
            after = Cursors.Decode(cursor);
        }
        catch (Refusal)
        {
            Error = (Error is null ? "" : Error + " ") + "That page link is out of date; showing the newest sessions.";
        }

        IsFirstPage = after is null;
        var (sessions, next) = await tracking.ListSessionsAsync(
            Caller.OrgId, Caller.UserId, null, Status is null ? null : Status == "open", ProjectId, after, PageSize, HttpContext.RequestAborted);
        Sessions = sessions;
        Next = Cursors.Encode(next);
    }

    public string Link(string? status, Guid? projectId, string? cursor = null)
    {
        var query = new List<string>();
        if (status is not null)
        {
            query.Add($"status={status}");
        }

        if (projectId is { } project)
        {
            query.Add($"project_id={project}");
        }

        if (cursor is not null)
        {
            query.Add($"cursor={Uri.EscapeDataString(cursor)}");
        }

        return query.Count == 0 ? "/sessions" : "/sessions?" + string.Join("&", query);
    }
}
