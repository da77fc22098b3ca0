namespace Hourdini.Gateway.Web.Pages.Settings;

/// <summary>/settings/account: the signed-in user's password (issue 24: a change signs every other browser out).</summary>
public sealed class AccountModel : AppPage
{
    public void OnGet()
    {
    }
}
