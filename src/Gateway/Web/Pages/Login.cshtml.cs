using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Hourdini.Gateway.Web.Pages;

/// <summary>/login and /signup: the forms post to the API, which sets the session cookie.</summary>
public sealed class LoginModel : PageModel
{
    /// <summary>Where to go after signing in: a local path only, so the link cannot send the user elsewhere.</summary>
    public string Next { get; private set; } = "/";

    public void OnGet([FromQuery] string? next) =>
        Next = next is { Length: > 1 } && next[0] == '/' && next[1] != '/' && next[1] != '\\' ? next : "/";
}
