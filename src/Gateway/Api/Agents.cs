using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Accounts;
using Hourdini.Grains.Agents;
using Hourdini.Grains.Common;
using Hourdini.Silo.Storage.Agents;

namespace Hourdini.Gateway.Api;

/// <summary>Agent identities, what is addressed to them, and their pull of updates (R11, R12).</summary>
public static class Agents
{
    [OpenApi.Requires("name")]
    public sealed record CreateRequest(string? Name);

    [OpenApi.Requires("status")]
    public sealed record StatusRequest([property: OpenApi.Values("active", "disabled")] string? Status);

    [OpenApi.Requires("text")]
    public sealed record MessageRequest(string? Text);

    public static void MapAgents(this RouteGroupBuilder api)
    {
        var agents = api.MapGroup("/agents").RequireAuthorization().WithTags("Agents");

        // A PAT may create agents: their tokens are narrower than its own (PRODUCT.md, PAT).
        agents.MapPost("", async (CreateRequest body, HttpContext context, AgentStore store) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var name = Validate.Text(body.Name, "name", 100);
            var secret = Secrets.NewAgentToken();
            var agent = await store.CreateAsync(caller.OrgId, caller.UserId, name, Secrets.Hash(secret), context.RequestAborted);
            return Results.Created($"/api/v1/agents/{agent.Id}", new { agent = View(agent), secret });
        }).Returns<OpenApi.AgentCreated>("createAgent", "Add an agent and mint its token", StatusCodes.Status201Created);
        agents.MapGet("", async (HttpContext context, AgentStore store) =>
        {
            var caller = context.Caller().EnsureHuman();
            var list = await store.ListAsync(caller.OrgId, caller.ViewerScope(), context.RequestAborted);
            return Results.Ok(new { agents = list.Select(View) });
        }).Returns<OpenApi.AgentList>("listAgents", "List agents");
        agents.MapPatch("/{id}", async (string id, StatusRequest body, HttpContext context, AgentStore store) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var agent = await store.GetAsync(caller.OrgId, Validate.Id(id, "Agent"), context.RequestAborted) ?? throw Refusal.NotFound("Agent");
            if (agent.UserId != caller.UserId && caller.Role != Role.Owner)
            {
                throw Refusal.Forbidden("Only the agent's owner or an owner of the org may change it.");
            }

            if (body.Status is not (Agent.Active or Agent.Disabled))
            {
                throw Refusal.Invalid("status must be \"active\" or \"disabled\".");
            }

            var updated = await store.SetStatusAsync(caller.OrgId, agent.Id, body.Status, context.RequestAborted) ?? throw Refusal.NotFound("Agent");
            return Results.Ok(new { agent = View(updated) });
        }).Returns<OpenApi.AgentReply>("updateAgent", "Disable or enable an agent");
        agents.MapGet("/{id}/updates", async (string id, HttpContext context, IGrainFactory grains) =>
            (await PullUpdatesAsync(id, context, grains)).ToHttp())
            .AllowAgents("only the agent's own tasks and messages")
            .Returns<OpenApi.UpdatesReply>("pullAgentUpdates", "Pull the agent's new tasks and messages (each handed over once)");
        agents.MapPost("/{id}/messages", async (string id, MessageRequest body, HttpContext context, AgentStore store) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var text = Validate.Text(body.Text, "text", 10_000);
            var agent = await store.GetAsync(caller.OrgId, Validate.Id(id, "Agent"), context.RequestAborted) ?? throw Refusal.NotFound("Agent");
            var message = await store.CreateMessageAsync(caller.OrgId, agent.Id, caller.UserId, text, context.RequestAborted);
            return Results.Created($"/api/v1/agents/{agent.Id}/messages/{message.Id}", new { message = MessageView(message) });
        }).Returns<OpenApi.MessageReply>("messageAgent", "Send an agent a message", StatusCodes.Status201Created);
    }

    /// <summary>R12: hands the agent its new tasks and messages, each exactly once. Without an id, the caller's own inbox.</summary>
    public static async Task<Answer> PullUpdatesAsync(string? id, HttpContext context, IGrainFactory grains)
    {
        var caller = context.Caller();
        var agentId = OwnAgent(caller, id);
        var updates = await Work.RetryIfStaleAsync(() => grains.UserGrain(caller).PullUpdatesAsync(agentId));

        // R32: the budget of the project the agent works on now (its open session's), or null.
        var budgets = context.RequestServices.GetRequiredService<Silo.Storage.Budgets.BudgetStore>();
        var budget = Budgets.View(await budgets.StatusForAgentAsync(caller.OrgId, agentId, context.RequestAborted), caller);
        return new Answer(new { tasks = updates.Tasks.Select(Tasks.View), messages = updates.Messages.Select(MessageView), budget });
    }

    /// <summary>An agent reads only its own inbox; any other id is unknown to it.</summary>
    private static Guid OwnAgent(Caller caller, string? id)
    {
        if (caller.AgentId is not { } self)
        {
            throw Refusal.Forbidden("Only the agent itself pulls its updates, with its agent token.", "agent_token_required");
        }

        return id is null || Validate.Id(id, "Agent") == self ? self : throw Refusal.NotFound("Agent");
    }

    public static object View(Agent agent) =>
        new { id = agent.Id, name = agent.Name, status = agent.Status, user_id = agent.UserId, created_at = agent.CreatedAt };

    public static object UpdatesView(AgentUpdates updates) =>
        new { tasks = updates.Tasks.Select(Tasks.View), messages = updates.Messages.Select(MessageView) };

    public static object MessageView(AgentMessage m) =>
        new { id = m.Id, agent_id = m.AgentId, from_user_id = m.FromUserId, text = m.Text, created_at = m.CreatedAt };
}
