namespace Hourdini.Gateway.Web.Pages;

/// <summary>/projects: projects by client, with each project's Bill agent time setting (R5).</summary>
public sealed class ProjectsModel : AppPage
{
    public void OnGet()
    {
    }
}
