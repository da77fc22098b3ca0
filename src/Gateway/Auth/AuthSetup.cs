using System.Security.Claims;
using System.Text.Encodings.Web;
using Hourdini.Grains.Accounts;
using Hourdini.Grains.Common;
using Hourdini.Silo.Storage;
using Hourdini.Silo.Storage.Accounts;
using Hourdini.Silo.Storage.Agents;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace Hourdini.Gateway.Auth;

public static class AuthSetup
{
    public const string Scheme = "Hourdini";
    public const string BearerScheme = "Bearer";
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;

    /// <summary>Bearer tokens for programs, a cookie session for the web app; one caller model for both.</summary>
    public static IServiceCollection AddHourdiniAuth(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("Hourdini");
        services.AddOptions<KeyManagementOptions>()
            .Configure<DataProtectionKeys>((options, keys) => options.XmlRepository = keys);

        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, Scheme, options => options.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.Count > 0 ? BearerScheme : CookieScheme)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerScheme, null)
            .AddCookie(CookieScheme, options =>
            {
                options.Cookie.Name = "hourdini";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.ExpireTimeSpan = TimeSpan.FromDays(14);
                options.SlidingExpiration = true;
                options.Events.OnRedirectToLogin = context => Status(context.Response, 401);
                options.Events.OnRedirectToAccessDenied = context => Status(context.Response, 403);
                options.Events.OnValidatePrincipal = RevalidateMembershipAsync;
            });
        services.AddAuthorization();
        return services;
    }

    /// <param name="cookieSession">For a cookie: its server-side record (<see cref="SignInStore"/>), which logout revokes.</param>
    public static ClaimsPrincipal ToPrincipal(this Caller caller, string scheme, Guid? cookieSession = null) => new(new CallerIdentity(caller,
        [
            new Claim(ClaimNames.User, caller.UserId.ToString()),
            new Claim(ClaimNames.Org, caller.OrgId.ToString()),
            new Claim(ClaimNames.Role, caller.Role.ToWire()),
            new Claim(ClaimNames.Kind, caller.Kind.ToString()),
            .. caller.TokenId is { } tokenId ? [new Claim(ClaimNames.Token, tokenId.ToString())] : Array.Empty<Claim>(),
            .. caller.AgentId is { } agentId
                ? [new Claim(ClaimNames.Agent, agentId.ToString()), new Claim(ClaimNames.AgentActive, caller.AgentActive ? "1" : "0")]
                : Array.Empty<Claim>(),
            .. cookieSession is { } session ? [new Claim(ClaimNames.CookieSession, session.ToString())] : Array.Empty<Claim>(),
        ],
        scheme));

    /// <summary>The server-side record of the request's cookie, if it came with one.</summary>
    public static Guid? CookieSession(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(ClaimNames.CookieSession), out var session) ? session : null;

    /// <summary>The caller of this request; endpoints behind RequireAuthorization always have one.</summary>
    public static Caller Caller(this HttpContext context) => TryCaller(context.User)
        ?? throw Refusal.Forbidden("This request has no caller.", "unauthorized");

    public static Caller? TryCaller(ClaimsPrincipal principal)
    {
        if (principal.Identity is CallerIdentity { IsAuthenticated: true } known)
        {
            return known.Caller;
        }

        if (principal.Identity?.IsAuthenticated != true
            || !Guid.TryParse(principal.FindFirstValue(ClaimNames.User), out var userId)
            || !Guid.TryParse(principal.FindFirstValue(ClaimNames.Org), out var orgId)
            || !Roles.TryParse(principal.FindFirstValue(ClaimNames.Role), out var role)
            || !Enum.TryParse<CallerKind>(principal.FindFirstValue(ClaimNames.Kind), out var kind))
        {
            return null;
        }

        Guid? tokenId = Guid.TryParse(principal.FindFirstValue(ClaimNames.Token), out var t) ? t : null;
        Guid? agentId = Guid.TryParse(principal.FindFirstValue(ClaimNames.Agent), out var a) ? a : null;
        return new Caller(userId, orgId, role, kind, tokenId, agentId, principal.FindFirstValue(ClaimNames.AgentActive) != "0");
    }

    /// <summary>Owners and members (people) may change data; viewers read only; agents only track their own work.</summary>
    public static Caller EnsureCanWrite(this Caller caller) => caller switch
    {
        { IsAgent: true } => throw AgentScope.Refused(),
        _ when !caller.Role.CanWrite() => throw Refusal.Forbidden("Viewers have read-only access."),
        _ => caller,
    };

    /// <summary>Sessions, beats and logs: owners and members, and their agents on their own sessions.</summary>
    public static Caller EnsureCanTrack(this Caller caller) => caller.Kind == CallerKind.Agent || caller.Role.CanWrite()
        ? caller
        : throw Refusal.Forbidden("Viewers have read-only access.");

    public static Caller EnsureHuman(this Caller caller) => !caller.IsAgent ? caller : throw AgentScope.Refused();

    public static Caller EnsureOwner(this Caller caller) => caller.Role == Role.Owner && caller.Kind != CallerKind.Agent
        ? caller
        : throw Refusal.Forbidden("Only an owner of the org may do this.");

    /// <summary>For viewers: the user whose client grants filter what they see.</summary>
    public static Guid? ViewerScope(this Caller caller) => caller.Role == Role.Viewer ? caller.UserId : null;

    /// <summary>
    /// A cookie stands for an open cookie session and a membership, both re-read on every request: a logout, a password
    /// change elsewhere, or a role change or removal takes effect at once on every node. A cookie without a session record
    /// (minted before there were any) is refused, so its holder signs in again.
    /// </summary>
    private static async Task RevalidateMembershipAsync(CookieValidatePrincipalContext context)
    {
        var claimed = TryCaller(context.Principal!);
        var session = context.Principal!.CookieSession();
        var signIns = context.HttpContext.RequestServices.GetRequiredService<SignInStore>();
        var role = claimed is null || session is null
            ? null
            : await signIns.CheckCookieAsync(session.Value, claimed.UserId, claimed.OrgId, context.HttpContext.RequestAborted);
        if (role is not { } current)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
            return;
        }

        context.ReplacePrincipal((claimed! with { Role = current, Kind = CallerKind.Cookie }).ToPrincipal(CookieScheme, session));
    }

    /// <summary>A disabled agent is known but refused everything (403 <c>agent_disabled</c>).</summary>
    public static void UseDisabledAgentRefusal(this WebApplication app) => app.Use(async (context, next) =>
    {
        if (TryCaller(context.User) is { Kind: CallerKind.Agent, AgentActive: false })
        {
            await Http.Problems.Write(context, 403, "agent_disabled", "Forbidden", "This agent is disabled; an owner can enable it again.");
            return;
        }

        await next(context);
    });

    private static Task Status(HttpResponse response, int status)
    {
        response.StatusCode = status;
        return Task.CompletedTask;
    }

    /// <summary>
    /// The identity this gateway made for a caller: the claims (what a cookie stores) and the caller they were made from,
    /// so the several steps of a request that ask who calls (presence, rate limits, idempotency, the endpoint) do not
    /// parse the claims again each time. A cookie read back holds only the claims, and is parsed.
    /// </summary>
    private sealed class CallerIdentity(Caller caller, IEnumerable<Claim> claims, string scheme) : ClaimsIdentity(claims, scheme)
    {
        public Caller Caller { get; } = caller;
    }

    private static class ClaimNames
    {
        public const string User = "hd:user";
        public const string Org = "hd:org";
        public const string Role = "hd:role";
        public const string Kind = "hd:kind";
        public const string Token = "hd:token";
        public const string Agent = "hd:agent";
        public const string AgentActive = "hd:agent_active";
        public const string CookieSession = "hd:sid";
    }
}

/// <summary>
/// Authenticates <c>Authorization: Bearer hd_pat_live_…</c> (a person's token) and <c>hd_agt_live_…</c>
/// (an agent's). Each agent call then renews its lease (R15, <see cref="AgentPresence"/>).
/// </summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AccountStore accounts,
    AgentStore agents) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>RFC 6750: a refused bearer request says which scheme it expects.</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return base.HandleChallengeAsync(properties);
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("Only bearer tokens are accepted.");
        }

        var secret = header["Bearer ".Length..].Trim();
        if (secret.Length > 200)
        {
            return AuthenticateResult.Fail("Unknown token.");
        }

        Caller? caller = null;
        if (secret.StartsWith(Secrets.PatPrefix, StringComparison.Ordinal))
        {
            caller = await accounts.FindTokenAsync(Secrets.Hash(secret), Context.RequestAborted);
        }
        else if (secret.StartsWith(Secrets.AgentPrefix, StringComparison.Ordinal))
        {
            caller = await agents.FindTokenAsync(Secrets.Hash(secret), Context.RequestAborted);
        }

        return caller is null
            ? AuthenticateResult.Fail("Unknown or revoked token.")
            : AuthenticateResult.Success(new AuthenticationTicket(caller.ToPrincipal(Scheme.Name), Scheme.Name));
    }
}
