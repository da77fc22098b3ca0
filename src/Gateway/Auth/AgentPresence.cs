using Hourdini.Grains.Accounts;
using Hourdini.Silo.Storage.Agents;

namespace Hourdini.Gateway.Auth;

/// <summary>
/// R15: every call an active agent makes is a sign of life and renews its open session's lease. A beat or log of
/// the session renews it inside its own turn, in the row update the turn makes anyway (marked with
/// <see cref="RenewsLeaseInTurn"/>); every other call, and such a call when it is refused, renews it here.
/// </summary>
public static class AgentPresence
{
    /// <summary>Endpoint metadata: a successful call renews the calling agent's lease in its own turn (or ends the session, and the lease with it).</summary>
    public sealed class LeaseRenewedInTurn;

    public static RouteHandlerBuilder RenewsLeaseInTurn(this RouteHandlerBuilder endpoint) =>
        endpoint.WithMetadata(new LeaseRenewedInTurn());

    public static void UseAgentLeaseRenewal(this WebApplication app) => app.Use(async (context, next) =>
    {
        if (AuthSetup.TryCaller(context.User) is not { Kind: CallerKind.Agent, AgentActive: true, AgentId: { } agentId } caller)
        {
            await next(context);
            return;
        }

        var agents = context.RequestServices.GetRequiredService<AgentStore>();
        Task Renew() => agents.TouchAsync(caller.OrgId, agentId, context.RequestAborted);
        if (context.GetEndpoint()?.Metadata.GetMetadata<LeaseRenewedInTurn>() is null)
        {
            await Renew();
            await next(context);
            return;
        }

        try
        {
            await next(context);
        }
        catch
        {
            await Renew();
            throw;
        }

        if (context.Response.StatusCode >= 400)
        {
            await Renew();
        }
    });
}
