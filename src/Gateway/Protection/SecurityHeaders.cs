namespace Hourdini.Gateway.Protection;

/// <summary>
/// Headers every answer carries so a browser confines our pages (issue 24, item 8): scripts and styles only from our own
/// origin (the app's one script and stylesheet; <c>style</c> attributes stay allowed for the project colour dots), never
/// framed by another site, and no referrer sent to other sites.
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static void UseSecurityHeaders(this WebApplication app) => app.Use((context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = context.GetEndpoint()?.Metadata.GetMetadata<PagePolicy>()?.For(context) ?? ContentSecurityPolicy;
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            return Task.CompletedTask;
        });
        return next(context);
    });
}

/// <summary>A page's own Content-Security-Policy in place of the app's (the API reference: its scripts carry a nonce).</summary>
public sealed record PagePolicy(Func<HttpContext, string> For);
