using Hourdini.Grains.Accounts;
using Hourdini.Silo.Storage.Accounts;

namespace Hourdini.Gateway.Web.Pages.Settings;

/// <summary>/settings/tokens: mint a personal access token (its secret shown once), list and revoke them.</summary>
public sealed class TokensModel(AccountStore accounts) : AppPage
{
    public IReadOnlyList<AccessToken> Tokens { get; private set; } = [];

    public async Task OnGetAsync() =>
        Tokens = await accounts.ListTokensAsync(Caller.OrgId, Caller.UserId, HttpContext.RequestAborted);
}
