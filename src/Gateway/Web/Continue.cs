using System.Text.Json;
using Hourdini.Grains.Entries;

namespace Hourdini.Gateway.Web;

/// <summary>
/// One click starts a piece of work again, as Toggl's "continue" does: the same project, description and tags, as a
/// timer (which saves a running timer as its entry first) or as a session (sessions have no tags).
/// </summary>
public static class Continue
{
    public const string TimerCall = "PUT /api/v1/timer";

    public const string SessionCall = "POST /api/v1/sessions";

    public static string TimerBody(Guid projectId, string description, IReadOnlyList<string> tags) =>
        JsonSerializer.Serialize(new { project_id = projectId, description, tags, replace = true });

    public static string SessionBody(Guid projectId, string description) =>
        JsonSerializer.Serialize(new { project_id = projectId, description });

    /// <summary>An entry continues as what wrote it: a session's as a session, any other as a timer.</summary>
    public static (string Call, string Body, string As) Of(TimeEntry entry) => entry.Source == EntrySource.Session
        ? (SessionCall, SessionBody(entry.ProjectId, entry.Description), "a session")
        : (TimerCall, TimerBody(entry.ProjectId, entry.Description, entry.Tags), "a timer");
}
