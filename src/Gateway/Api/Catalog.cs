using Microsoft.AspNetCore.Mvc;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Common;
using Hourdini.Grains.Projects;
using Hourdini.Silo.Storage.Accounts;
using Hourdini.Silo.Storage.Catalog;

namespace Hourdini.Gateway.Api;

/// <summary>
/// Clients and projects. Owners and members manage them; viewers see the clients an owner granted to them
/// (<c>PUT /clients/{id}/viewers/{user_id}</c>), with those clients' projects, tasks and entries.
/// </summary>
public static class Catalog
{
    [OpenApi.Requires("name", "currency", "default_rate")]
    public sealed record ClientRequest(string? Name, string? Currency, decimal? DefaultRate, string? Color);

    public sealed record ClientPatchRequest(string? Name, string? Currency, decimal? DefaultRate, string? Color, bool? Archived);

    [OpenApi.Requires("client_id", "name")]
    public sealed record ProjectRequest(string? ClientId, string? Name, decimal? Rate, bool? BillAgentTime, decimal? AgentRate, string? Color);

    public sealed record ProjectPatchRequest(
        string? Name, decimal? Rate, bool? ClearRate, bool? BillAgentTime, bool? Archived, decimal? AgentRate, bool? ClearAgentRate, string? Color);

    public static void MapCatalog(this RouteGroupBuilder api)
    {
        var clients = api.MapGroup("/clients").RequireAuthorization().WithTags("Clients");
        clients.MapPost("", async (ClientRequest body, HttpContext context, CatalogStore catalog) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var client = await catalog.CreateClientAsync(
                caller.OrgId,
                Validate.Text(body.Name, "name", 200),
                Currency(body.Currency),
                Validate.Money(body.DefaultRate, "default_rate"),
                Color(body.Color),
                context.RequestAborted);
            return Results.Created($"/api/v1/clients/{client.Id}", new { client = ClientView(client) });
        }).Returns<OpenApi.ClientReply>("createClient", "Add a client", StatusCodes.Status201Created);
        clients.MapGet("", async (HttpContext context, CatalogStore catalog) =>
        {
            var caller = context.Caller();
            var list = await catalog.ListClientsAsync(caller.OrgId, caller.ViewerScope(), context.RequestAborted);
            return Results.Ok(new { clients = list.Select(ClientView) });
        }).Returns<OpenApi.ClientList>("listClients", "List clients");
        clients.MapGet("/{id}", async (string id, HttpContext context, CatalogStore catalog) =>
        {
            var caller = context.Caller();
            var client = await catalog.GetClientAsync(caller.OrgId, Validate.Id(id, "Client"), caller.ViewerScope(), context.RequestAborted)
                ?? throw Refusal.NotFound("Client");
            return Results.Ok(new { client = ClientView(client) });
        }).Returns<OpenApi.ClientReply>("getClient", "Read a client");
        clients.MapPatch("/{id}", async (string id, ClientPatchRequest body, HttpContext context, CatalogStore catalog) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var patch = new ClientPatch(
                body.Name is null ? null : Validate.Text(body.Name, "name", 200),
                body.Currency is null ? null : Currency(body.Currency),
                body.DefaultRate is null ? null : Validate.Money(body.DefaultRate, "default_rate"),
                Color(body.Color),
                body.Archived);
            var client = await catalog.UpdateClientAsync(caller.OrgId, Validate.Id(id, "Client"), patch, context.RequestAborted);
            return Results.Ok(new { client = ClientView(client) });
        }).Returns<OpenApi.ClientReply>("updateClient", "Change a client");

        // Which viewers see a client (PRODUCT.md, Membership): the owner grants and takes back, as with members.
        clients.MapGet("/{id}/viewers", async (string id, HttpContext context, CatalogStore catalog, AccountStore accounts) =>
        {
            var caller = context.Caller().EnsureOwner();
            var client = await catalog.GetClientAsync(caller.OrgId, Validate.Id(id, "Client"), null, context.RequestAborted)
                ?? throw Refusal.NotFound("Client");
            var viewers = await accounts.ListClientViewersAsync(caller.OrgId, client.Id, context.RequestAborted);
            return Results.Ok(new { viewers = viewers.Select(Accounts.MemberView) });
        }).Returns<OpenApi.ViewerList>("listClientViewers", "List the viewers a client is granted to");
        clients.MapPut("/{id}/viewers/{userId}", async (string id, string userId, HttpContext context, AccountStore accounts) =>
        {
            var caller = context.Caller().EnsureOwner();
            var viewer = await accounts.GrantClientAsync(
                caller.OrgId, Validate.Id(id, "Client"), Validate.Id(userId, "Member"), context.RequestAborted);
            return Results.Ok(new { viewer = Accounts.MemberView(viewer) });
        }).Returns<OpenApi.ViewerReply>("grantClientViewer", "Let a viewer see a client");
        clients.MapDelete("/{id}/viewers/{userId}", async (string id, string userId, HttpContext context, AccountStore accounts) =>
        {
            var caller = context.Caller().EnsureOwner();
            return await accounts.RevokeClientAsync(caller.OrgId, Validate.Id(id, "Client"), Validate.Id(userId, "Member"), context.RequestAborted)
                ? Results.NoContent()
                : throw Refusal.NotFound("A grant of this client to this viewer");
        }).ReturnsNothing("revokeClientViewer", "Stop a viewer seeing a client");

        var projects = api.MapGroup("/projects").RequireAuthorization().WithTags("Projects");
        projects.MapPost("", async (ProjectRequest body, HttpContext context, CatalogStore catalog) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var clientId = Validate.Id(Validate.Text(body.ClientId, "client_id", 100), "Client");
            var name = Validate.Text(body.Name, "name", 200);
            var rate = body.Rate is null ? (decimal?)null : Validate.Money(body.Rate, "rate");
            var agentRate = body.AgentRate is null ? (decimal?)null : Validate.Money(body.AgentRate, "agent_rate");
            var project = await catalog.CreateProjectAsync(
                caller.OrgId, clientId, name, rate, body.BillAgentTime ?? false, context.RequestAborted, agentRate, Color(body.Color))
                ?? throw Refusal.NotFound("Client");
            return Results.Created($"/api/v1/projects/{project.Id}", new { project = ProjectView(project) });
        }).Returns<OpenApi.ProjectReply>("createProject", "Add a project", StatusCodes.Status201Created);
        projects.MapGet("", async (string? q, [FromQuery(Name = "include_archived")] bool? includeArchived, HttpContext context, CatalogStore catalog) =>
            (await ListProjectsAsync(q, includeArchived, context, catalog)).ToHttp())
            .AllowAgents(AgentProjects)
            .Returns<OpenApi.ProjectList>("listProjects", "List projects, by partial name");
        projects.MapGet("/{id}", async (string id, HttpContext context, CatalogStore catalog) =>
        {
            var caller = context.Caller();
            if (caller.IsAgent)
            {
                var brief = await catalog.ListProjectBriefsAsync(caller.OrgId, null, Validate.Id(id, "Project"), context.RequestAborted);
                return Results.Ok(new { project = BriefView(brief.SingleOrDefault() ?? throw Refusal.NotFound("Project")) });
            }

            var project = await catalog.GetProjectAsync(caller.OrgId, Validate.Id(id, "Project"), caller.ViewerScope(), context.RequestAborted)
                ?? throw Refusal.NotFound("Project");
            return Results.Ok(new { project = ProjectView(project) });
        }).AllowAgents(AgentProjects).Returns<OpenApi.ProjectReply>("getProject", "Read a project");
        projects.MapPatch("/{id}", async (string id, ProjectPatchRequest body, HttpContext context, CatalogStore catalog) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var patch = new ProjectPatch(
                body.Name is null ? null : Validate.Text(body.Name, "name", 200),
                body.Rate is null ? null : Validate.Money(body.Rate, "rate"),
                body.ClearRate ?? false,
                body.BillAgentTime,
                body.Archived,
                body.AgentRate is null ? null : Validate.Money(body.AgentRate, "agent_rate"),
                body.ClearAgentRate ?? false,
                Color(body.Color));
            var project = await catalog.UpdateProjectAsync(caller.OrgId, Validate.Id(id, "Project"), patch, context.RequestAborted)
                ?? throw Refusal.NotFound("Project");
            return Results.Ok(new { project = ProjectView(project) });
        }).Returns<OpenApi.ProjectReply>("updateProject", "Change a project (rates, Bill agent time, archived)");
    }

    /// <summary>R22: what an agent may read of projects.</summary>
    private const string AgentProjects = "the org's non-archived projects: id, name, client name and Bill agent time, no rates";

    /// <summary>
    /// The projects whose name contains <paramref name="q"/>. An agent gets the projects that take work, as briefs
    /// without rates (R22); <paramref name="includeArchived"/> does not widen that.
    /// </summary>
    public static async Task<Answer> ListProjectsAsync(string? q, bool? includeArchived, HttpContext context, CatalogStore catalog)
    {
        var caller = context.Caller();
        if (caller.IsAgent)
        {
            var briefs = await catalog.ListProjectBriefsAsync(caller.OrgId, Validate.OptionalText(q, "q", 200), null, context.RequestAborted);
            return new Answer(new { projects = briefs.Select(BriefView) });
        }

        var list = await catalog.ListProjectsAsync(
            caller.OrgId, Validate.OptionalText(q, "q", 200), includeArchived ?? false, caller.ViewerScope(), context.RequestAborted);
        return new Answer(new { projects = list.Select(ProjectView) });
    }

    private static string Currency(string? value)
    {
        var code = Validate.Text(value, "currency", 3).ToUpperInvariant();
        return Currencies.IsKnown(code) ? code : throw Refusal.Invalid("currency must be an ISO 4217 code such as EUR or USD.").About("currency");
    }

    private static string? Color(string? value)
    {
        var color = Validate.OptionalText(value, "color", 7);
        return color is null || (color.Length == 7 && color[0] == '#' && color[1..].All(Uri.IsHexDigit))
            ? color
            : throw Refusal.Invalid("color must be a hex colour such as #4f46e5.").About("color");
    }

    public static object ClientView(Client c) => new
    {
        id = c.Id,
        name = c.Name,
        currency = c.Currency,
        default_rate = c.DefaultRate,
        color = c.Color,
        archived = c.Archived,
        created_at = c.CreatedAt,
    };

    public static object BriefView(ProjectBrief p) => new { id = p.Id, name = p.Name, client_name = p.ClientName, bill_agent_time = p.BillAgentTime };

    public static object ProjectView(Project p) => new
    {
        id = p.Id,
        client_id = p.ClientId,
        name = p.Name,
        rate = p.Rate,
        effective_rate = p.EffectiveRate,
        currency = p.Currency,
        bill_agent_time = p.BillAgentTime,
        agent_rate = p.AgentRate,
        color = p.Color,
        archived = p.Archived,
        created_at = p.CreatedAt,
    };
}
