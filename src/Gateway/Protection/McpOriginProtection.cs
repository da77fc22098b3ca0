using Hourdini.Gateway.Http;

namespace Hourdini.Gateway.Protection;

/// <summary>Where <c>/mcp</c> may be reached from (section <c>Hourdini:Mcp</c>).</summary>
public sealed class McpOriginOptions
{
    public const string Section = "Hourdini:Mcp";

    /// <summary>
    /// Host names (any port) under which clients reach <c>/mcp</c>, and the only ones a browser <c>Origin</c> may name.
    /// Loopback by default; a deployment behind a public name adds it (deploy/systemd/hourdini.env).
    /// </summary>
    public string[] AllowedHosts { get; set; } = ["localhost", "127.0.0.1", "[::1]"];
}

/// <summary>
/// DNS-rebinding protection for <c>/mcp</c>, as the MCP transport specification requires: a request whose <c>Host</c> is
/// not one of ours, or that a browser sent from a page of another origin, is refused (403 <c>origin_refused</c>) before
/// anything reads it. Programs send no <c>Origin</c>; a page that rebinds a name to this machine sends its own name in both.
/// </summary>
public static class McpOriginProtection
{
    public static void UseMcpOriginProtection(this WebApplication app)
    {
        var allowed = (app.Configuration.GetSection(McpOriginOptions.Section).Get<McpOriginOptions>() ?? new McpOriginOptions()).AllowedHosts
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        app.UseWhen(context => context.Request.Path.StartsWithSegments(Mcp.McpEndpoint.Path), branch => branch.Use(async (context, next) =>
        {
            var origin = context.Request.Headers.Origin.ToString();
            var fromForeignPage = origin.Length > 0
                && (!Uri.TryCreate(origin, UriKind.Absolute, out var page) || !allowed.Contains(HostName(page.Authority)));
            if (fromForeignPage || !allowed.Contains(HostName(context.Request.Host.Value ?? "")))
            {
                await Problems.Write(context, 403, "origin_refused", "Forbidden",
                    "This MCP endpoint answers only under its own host name, and not to pages of other sites.");
                return;
            }

            await next(context);
        }));
    }

    /// <summary>The host of <c>host[:port]</c>, keeping an IPv6 literal's brackets.</summary>
    private static string HostName(string authority)
    {
        var colon = authority.LastIndexOf(':');
        return colon > authority.LastIndexOf(']') && colon >= 0 ? authority[..colon] : authority;
    }
}
