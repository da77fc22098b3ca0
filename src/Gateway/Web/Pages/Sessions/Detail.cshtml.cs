using System.Text.Json;
using Hourdini.Grains.Common;
using Hourdini.Grains.Entries;
using Hourdini.Grains.Sessions;
using Hourdini.Silo.Storage.Agents;
using Hourdini.Silo.Storage.Entries;
using Hourdini.Silo.Storage.Tracking;
using Microsoft.AspNetCore.Mvc;

namespace Hourdini.Gateway.Web.Pages.Sessions;

/// <summary>
/// One session: its beats as a coloured bar, its totals, its timeline of events, and End session.
/// Sessions are personal, as on the API: someone else's, or another org's, is not found (404).
/// </summary>
public sealed class SessionDetailModel(TrackingQueries tracking, AgentStore agents, EntryStore entries) : AppPage
{
    private const int MaxEvents = 500;

    public SessionState? Session { get; private set; }

    public IReadOnlyList<SessionEvent> Events { get; private set; } = [];

    public TimeEntry? Entry { get; private set; }

    public string PullSummary { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(string id)
    {
        var ct = HttpContext.RequestAborted;
        SessionState session;
        try
        {
            session = await Api.Sessions.GetOwnAsync(id, HttpContext, tracking); // the API's rule: only your own
        }
        catch (Refusal refusal) when (refusal.Kind == RefusalKind.NotFound)
        {
            return NotFoundPage();
        }

        Session = session;
        Events = await agents.TimelineAsync(session.OrgId, session.Id, 0, MaxEvents, ct);
        Entry = session.EntryId is { } entryId ? await entries.GetAsync(session.OrgId, entryId, ct) : null;
        using var metadata = JsonDocument.Parse(session.Metadata);
        if (metadata.RootElement.TryGetProperty("pull_summary", out var pull) && pull.ValueKind == JsonValueKind.Object)
        {
            PullSummary = $"· pulled {Number(pull, "tasks_new")} new tasks and {Number(pull, "messages")} messages at start";
        }

        return Page();
    }

    public static string Label(string type) => type switch
    {
        SessionEventTypes.Start => "Started",
        SessionEventTypes.Beat => "Beat",
        SessionEventTypes.Log => "Log",
        SessionEventTypes.TaskStatus => "Task",
        SessionEventTypes.Stop => "Ended",
        _ => type,
    };

    /// <summary>One line for an event, from its data.</summary>
    public string Describe(SessionEvent e)
    {
        using var doc = JsonDocument.Parse(e.Data);
        var data = doc.RootElement;
        return e.Type switch
        {
            SessionEventTypes.Start => $"first beat {Text(data, "first_beat")}"
                + (Shell.AgentName(Guid.TryParse(Text(data, "agent_id"), out var agent) ? agent : null) is { } name ? $", by agent {name}" : ""),
            SessionEventTypes.Beat => $"{Text(data, "previous")} → {Text(data, "kind")}",
            SessionEventTypes.Log => Text(data, "message") + (Text(data, "task_id") is { Length: > 0 } task ? $" (task {task[..8]})" : ""),
            SessionEventTypes.TaskStatus => $"task {Text(data, "task_id")[..Math.Min(8, Text(data, "task_id").Length)]} is now {Text(data, "status")}",
            SessionEventTypes.Stop => $"{Text(data, "reason")}: {Format.Clock(Number(data, "duration_seconds"))} in all, {Format.Clock(Number(data, "billable_seconds"))} billable",
            _ => data.GetRawText(),
        };
    }

    private static string Text(JsonElement data, string name) =>
        data.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    private static long Number(JsonElement data, string name) =>
        data.TryGetProperty(name, out var value) && value.TryGetInt64(out var number) ? number : 0;
}
