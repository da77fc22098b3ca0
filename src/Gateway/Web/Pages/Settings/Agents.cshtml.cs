using Hourdini.Gateway.Auth;
using Hourdini.Silo.Storage.Agents;

namespace Hourdini.Gateway.Web.Pages.Settings;

/// <summary>/settings/agents: create an agent (its token shown once), disable or enable it.</summary>
public sealed class AgentsModel(AgentStore agents) : AppPage
{
    public IReadOnlyList<Agent> Agents { get; private set; } = [];

    public async Task OnGetAsync() =>
        Agents = await agents.ListAsync(Caller.OrgId, Caller.ViewerScope(), HttpContext.RequestAborted);
}
