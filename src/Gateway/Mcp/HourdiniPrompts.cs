using System.ComponentModel;
using Hourdini.Gateway.Auth;
using Hourdini.Silo.Storage.Catalog;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Hourdini.Gateway.Mcp;

/// <summary>The prompt that starts a tracked agent run, and completion of its <c>project</c> argument from the caller's project names.</summary>
[McpServerPromptType]
public sealed class HourdiniPrompts
{
    public const string TrackAgentRun = "track_agent_run";

    [McpServerPrompt(Name = TrackAgentRun, Title = "Start a tracked agent run")]
    [Description("Work on a goal for the user while Hourdini records the time as agent time on a project: start, log, finish tasks, pause and end.")]
    public static ChatMessage Start(
        [Description("The project to record the time on: its id or part of its name.")] string project,
        [Description("What the run should achieve, in plain words.")] string? goal = null) =>
        Text(System.Text.Json.JsonSerializer.Serialize(project.Trim(), McpEndpoint.ReadableJson), goal);

    /// <summary>The prompt's text; <paramref name="quoted"/> is the project as a JSON string, so a quote in it cannot end it early.</summary>
    private static ChatMessage Text(string quoted, string? goal) =>
        new(ChatRole.User, $"""
            Work on this{(goal is null ? "" : $": {goal}")}. Track the run in Hourdini on the project {quoted}:
            1. Call session_start with project={quoted} and a short description of the goal. It starts your session in agent time. Keep session.id, and read updates: the tasks and messages waiting for you.
            2. As you work, call session_log at meaningful steps (what you did, decided or found), with task_id when a line is about a task.
            3. When you start a task call task_update with status="in_progress"; when it is finished, status="done".
            4. If you stop to wait for me, call session_beat with kind="idle"; when you resume on your own, kind="agent".
            5. When the work is done, call session_end (it cannot be undone) and tell me the billable time from its entry.
            If session_start is refused as agent_session_open, call session_get to find your open session and continue it, or end it first.
            """);

    /// <summary>Suggests project names for the prompt's <c>project</c> argument: the caller's projects containing what was typed.</summary>
    public static async ValueTask<CompleteResult> CompleteAsync(RequestContext<CompleteRequestParams> request, CancellationToken ct)
    {
        if (request.Params is not { Ref: PromptReference { Name: TrackAgentRun }, Argument: { Name: "project" } argument })
        {
            return new CompleteResult();
        }

        var http = request.Services.Http();
        var caller = http.Caller();
        var typed = argument.Value.Trim() is { Length: > 0 and <= 200 } text ? text : null;
        var catalog = http.RequestServices.GetRequiredService<CatalogStore>();
        var names = caller.IsAgent
            ? (await catalog.ListProjectBriefsAsync(caller.OrgId, typed, null, ct)).Select(p => p.Name)
            : (await catalog.ListProjectsAsync(caller.OrgId, typed, includeArchived: false, caller.ViewerScope(), ct)).Select(p => p.Name);
        var all = names.Distinct().ToList();
        return new CompleteResult
        {
            Completion = new Completion { Values = all.Take(100).ToList(), Total = all.Count, HasMore = all.Count > 100 },
        };
    }
}
