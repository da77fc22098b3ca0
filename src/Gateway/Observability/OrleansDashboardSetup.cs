using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Protection;
using Hourdini.Grains.Common;
using Hourdini.Silo;
using Orleans.Dashboard;

namespace Hourdini.Gateway.Observability;

/// <summary>
/// The Orleans Dashboard (<c>Microsoft.Orleans.Dashboard</c>, issue 28) at <see cref="Path"/>, for the people who operate
/// the service. It is off unless <c>Hourdini:Dashboard:Enabled</c> is true (it adds a grain-call filter to every call), and
/// it shows the whole cluster, every org's grains included, so it answers only an owner of <c>Hourdini:Dashboard:OperatorOrg</c>
/// (signed in or with a personal access token): an org's owner is a customer, not an operator. Its log stream is hidden.
/// </summary>
public static class OrleansDashboardSetup
{
    public const string Section = "Hourdini:Dashboard";
    public const string Path = "/admin/orleans";

    /// <summary>The app's policy, and fonts from <c>data:</c> URLs: the dashboard embeds its icon font so.</summary>
    private static readonly PagePolicy DashboardPolicy =
        new(_ => SecurityHeaders.ContentSecurityPolicy.Replace("img-src 'self' data:;", "img-src 'self' data:; font-src 'self' data:;", StringComparison.Ordinal));

    public static void MapHourdiniDashboard(this WebApplication app)
    {
        if (!SiloExtensions.DashboardEnabled(app.Configuration))
        {
            return;
        }

        var operatorOrg = app.Configuration.GetValue<Guid?>($"{Section}:OperatorOrg")
            ?? throw new InvalidOperationException($"{Section}:Enabled is true but {Section}:OperatorOrg names no org: the dashboard shows every org's grains, so only the operators' org's owners may see it.");
        app.MapOrleansDashboard(Path)
            .RequireAuthorization()
            .AddEndpointFilter(async (context, next) =>
            {
                var caller = context.HttpContext.Caller().EnsureOwner();
                return caller.OrgId == operatorOrg
                    ? await next(context)
                    : throw Refusal.Forbidden("The Orleans Dashboard is for the owners of the operators' org.", "not_operator");
            })
            .WithMetadata(DashboardPolicy)
            .ExcludeFromDescription();
    }
}
