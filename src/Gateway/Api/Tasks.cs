using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Agents;
using Hourdini.Grains.Common;
using Hourdini.Silo.Storage.Agents;
using Hourdini.Silo.Storage.Catalog;

namespace Hourdini.Gateway.Api;

/// <summary>Tasks on projects, optionally assigned to an agent; an agent moves the status of its own tasks.</summary>
public static class Tasks
{
    [OpenApi.Requires("title")]
    public sealed record CreateRequest(string? Title, string? AssigneeAgentId);

    /// <summary><c>unassign: true</c> takes the task from its agent.</summary>
    public sealed record PatchRequest(
        string? Title, [property: OpenApi.Values("open", "in_progress", "done")] string? Status, string? AssigneeAgentId, bool? Unassign);

    public static void MapTasks(this RouteGroupBuilder api)
    {
        var projectTasks = api.MapGroup("/projects/{id}/tasks").RequireAuthorization().WithTags("Projects");
        projectTasks.MapPost("", async (string id, CreateRequest body, HttpContext context, AgentStore agents) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var title = Validate.Text(body.Title, "title", 500);
            var assignee = await AssigneeAsync(caller.OrgId, body.AssigneeAgentId, agents, context.RequestAborted);
            var task = await agents.CreateTaskAsync(caller.OrgId, Validate.Id(id, "Project"), title, assignee, caller.UserId, context.RequestAborted)
                ?? throw Refusal.NotFound("Project");
            return Results.Created($"/api/v1/tasks/{task.Id}", new { task = View(task) });
        }).Returns<OpenApi.TaskReply>("createTask", "Add a task to a project, optionally for an agent", StatusCodes.Status201Created);
        projectTasks.MapGet("", async (string id, HttpContext context, CatalogStore catalog, AgentStore agents) =>
        {
            var caller = context.Caller();
            var project = await catalog.GetProjectAsync(caller.OrgId, Validate.Id(id, "Project"), caller.ViewerScope(), context.RequestAborted)
                ?? throw Refusal.NotFound("Project");
            var tasks = await agents.ListTasksAsync(caller.OrgId, project.Id, context.RequestAborted);
            return Results.Ok(new { tasks = tasks.Where(t => caller.AgentId is null || t.AssigneeAgentId == caller.AgentId).Select(View) });
        }).AllowAgents("only the project's tasks assigned to the agent").Returns<OpenApi.TaskList>("listTasks", "List a project's tasks");

        api.MapPatch("/tasks/{id}", async (string id, PatchRequest body, HttpContext context, AgentStore agents, IGrainFactory grains) =>
            (await UpdateAsync(id, body, context, agents, grains)).ToHttp())
            .RequireAuthorization().AllowAgents("only the status of a task assigned to the agent (the user grain checks it)")
            .WithTags("Projects").Returns<OpenApi.TaskReply>("updateTask", "Change a task's title, status or agent");
    }

    /// <summary>Changes a task's title, status or assignee; an agent may move only the status of a task assigned to it (the user grain checks it).</summary>
    public static async Task<Answer> UpdateAsync(string id, PatchRequest body, HttpContext context, AgentStore agents, IGrainFactory grains)
    {
        var caller = context.Caller().EnsureCanTrack();
        if (body.Status is not null && !TaskStatuses.IsKnown(body.Status))
        {
            throw Refusal.Invalid("status must be \"open\", \"in_progress\" or \"done\".");
        }

        var taskId = Validate.Id(id, "Task");
        var change = new TaskChange(
            body.Title is null ? null : Validate.Text(body.Title, "title", 500),
            body.Status,
            await AssigneeAsync(caller.OrgId, body.AssigneeAgentId, agents, context.RequestAborted),
            body.Unassign ?? false);
        var task = await Work.RetryIfStaleAsync(() => grains.UserGrain(caller).ChangeTaskAsync(taskId, change, caller.AgentId));
        return new Answer(new { task = View(task) });
    }

    private static async Task<Guid?> AssigneeAsync(Guid orgId, string? agentId, AgentStore agents, CancellationToken ct) =>
        agentId is null
            ? null
            : (await agents.GetAsync(orgId, Validate.Id(agentId, "Agent"), ct))?.Id ?? throw Refusal.NotFound("Agent");

    public static object View(AgentTask t) => new
    {
        id = t.Id,
        project_id = t.ProjectId,
        title = t.Title,
        status = t.Status,
        assignee_agent_id = t.AssigneeAgentId,
        created_at = t.CreatedAt,
        updated_at = t.UpdatedAt,
    };
}
