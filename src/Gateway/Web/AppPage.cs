using Hourdini.Gateway.Auth;
using Hourdini.Grains.Accounts;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Hourdini.Gateway.Web;

/// <summary>
/// A page of the signed-in app. Without a web session it sends the browser to /login and back;
/// with one, it loads the <see cref="Shell"/> the layout and sidebar draw.
/// </summary>
public abstract class AppPage : PageModel
{
    public Shell Shell { get; private set; } = null!;

    public Caller Caller => Shell.Caller;

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        if (AuthSetup.TryCaller(User) is not { Kind: CallerKind.Cookie } caller)
        {
            context.Result = Redirect("/login?next=" + Uri.EscapeDataString(Request.Path + Request.QueryString));
            return;
        }

        Shell = await Shell.LoadAsync(caller, HttpContext);
        ViewData["Shell"] = Shell;
        await next();
    }

    /// <summary>Renders the page as "not found" (404) inside the app, as the API would answer for the id.</summary>
    protected PageResult NotFoundPage()
    {
        Response.StatusCode = StatusCodes.Status404NotFound;
        return Page();
    }
}
