namespace Hourdini.Gateway.Web.Pages;

/// <summary>/clients: the org's clients, and a form to add one. The list comes with the shell.</summary>
public sealed class ClientsModel : AppPage
{
    public void OnGet()
    {
    }
}
