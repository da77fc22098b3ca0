using Hourdini.Gateway.Http;

namespace Hourdini.Gateway.Protection;

/// <summary>
/// CSRF protection for cookie-authenticated changes. A request without a bearer token may carry the
/// browser's session cookie, so a state-changing one must come from our own origin. The browser says
/// where it comes from with <c>Sec-Fetch-Site</c> (or, in older browsers, <c>Origin</c>). A request
/// with neither header is not from a browser, and no ambient cookie can be abused through it. This is
/// the approach of OWASP's "verifying origin with standard headers", on top of <c>SameSite=Lax</c> cookies.
/// </summary>
public static class CrossOriginProtection
{
    public static void UseCrossOriginProtection(this WebApplication app) => app.Use(async (context, next) =>
    {
        if (!IsSafe(context.Request.Method) && context.Request.Headers.Authorization.Count == 0 && IsCrossOrigin(context.Request))
        {
            await Problems.Write(
                context, 403, "cross_origin_refused", "Forbidden", "A change sent by a browser must come from this site's own pages.");
            return;
        }

        await next(context);
    });

    private static bool IsSafe(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    public static bool IsCrossOrigin(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0)
        {
            return site is not ("same-origin" or "none");
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0
            && (!Uri.TryCreate(origin, UriKind.Absolute, out var from) || !string.Equals(from.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }
}
