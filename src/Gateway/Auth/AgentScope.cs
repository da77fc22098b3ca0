using System.Text.Json;
using System.Text.Json.Nodes;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Accounts;
using Hourdini.Grains.Common;
using Microsoft.AspNetCore.Authorization;

namespace Hourdini.Gateway.Auth;

/// <summary>
/// R21, R22: what an agent token may reach. Agents are refused by default: an endpoint that needs a caller admits an
/// agent only when it is marked <see cref="AllowAgents{TBuilder}"/>, and an MCP tool only when its method carries
/// <see cref="AllowAgentsAttribute"/>. The scope each mark states is how that endpoint or tool narrows what an agent sees
/// (its own sessions, its own session's entries, projects without rates…); everything unmarked answers 403
/// <c>agent_not_allowed</c>, so a new route is person-only until someone decides otherwise.
/// </summary>
public static class AgentScope
{
    public const string Code = "agent_not_allowed";

    /// <summary>The one refusal for an agent token outside its scope (R21, R22).</summary>
    public static Refusal Refused(string detail = "Agent tokens cannot do this; use a personal access token.") =>
        Refusal.Forbidden(detail, Code);

    /// <summary>Marks an endpoint (or a group) as reachable by agent tokens; <paramref name="scope"/> says how it is narrowed for them.</summary>
    public static TBuilder AllowAgents<TBuilder>(this TBuilder endpoint, string scope)
        where TBuilder : IEndpointConventionBuilder => endpoint.WithMetadata(new AllowAgentsAttribute(scope));

    /// <summary>Refuses an agent token on every endpoint that needs a caller and is not marked for agents.</summary>
    public static void UseAgentScope(this WebApplication app) => app.Use(async (context, next) =>
    {
        if (AuthSetup.TryCaller(context.User) is { IsAgent: true } && context.GetEndpoint() is { } endpoint && !AdmitsAgents(endpoint))
        {
            await Problems.Write(context, 403, Code, "Forbidden", "Agent tokens cannot do this; use a personal access token.");
            return;
        }

        await next(context);
    });

    /// <summary>An endpoint open to anyone (no caller needed) admits agents as it admits anyone; one that needs a caller must say so.</summary>
    public static bool AdmitsAgents(Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<AllowAgentsAttribute>() is not null
        || endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null
        || (endpoint.Metadata.GetMetadata<IAuthorizeData>() is null && endpoint.Metadata.GetMetadata<AuthorizationPolicy>() is null);

    /// <summary>
    /// The fields of <paramref name="view"/> named in <paramref name="fields"/>, and no others: an agent's view is a list of
    /// what it may see, so a field added to the person's view later stays hidden from agents until it is listed.
    /// </summary>
    public static JsonObject Only(object view, IReadOnlySet<string> fields)
    {
        var full = JsonSerializer.SerializeToNode(view, Options)!.AsObject();
        var narrowed = new JsonObject();
        foreach (var (name, value) in full)
        {
            if (fields.Contains(name))
            {
                narrowed[name] = value?.DeepClone();
            }
        }

        return narrowed;
    }

    private static readonly JsonSerializerOptions Options = HttpSetup.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
}

/// <summary>An endpoint or MCP tool that agent tokens may call, and how it narrows what they see (R22).</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class AllowAgentsAttribute(string scope) : Attribute
{
    public string Scope { get; } = scope;
}
