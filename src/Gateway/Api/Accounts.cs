using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Accounts;
using Hourdini.Grains.Common;
using Hourdini.Silo.Storage.Accounts;
using Hourdini.Silo.Storage.Agents;
using Microsoft.AspNetCore.Authentication;
using Hourdini.Gateway.Protection;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Hourdini.Gateway.Api;

/// <summary>Sign-up, sign-in, personal access tokens, the caller, the org, its members and the invitations to it.</summary>
public static class Accounts
{
    private static readonly PasswordHasher<User> Hasher = new();

    [OpenApi.Requires("email", "password", "name")]
    public sealed record SignupRequest(string? Email, string? Password, string? Name);

    /// <summary><c>org_id</c> picks one of the person's orgs; without it, the first they joined.</summary>
    [OpenApi.Requires("email", "password")]
    public sealed record LoginRequest(string? Email, string? Password, string? OrgId);

    [OpenApi.Requires("name")]
    public sealed record TokenRequest(string? Name);

    [OpenApi.Requires("org_id")]
    public sealed record SwitchRequest(string? OrgId);

    public sealed record OrgPatch(string? Name, [property: System.ComponentModel.DataAnnotations.Range(5, 86400)] int? AgentLeaseSeconds);

    [OpenApi.Requires("email", "role")]
    public sealed record MemberRequest(string? Email, [property: OpenApi.Values("owner", "member", "viewer")] string? Role);

    [OpenApi.Requires("current_password", "new_password")]
    public sealed record PasswordChange(string? CurrentPassword, string? NewPassword);

    /// <summary>Verified when the email is unknown, so a sign-in takes as long whether or not the account exists.</summary>
    private static readonly Lazy<(User User, string Hash)> Decoy = new(() =>
    {
        var user = new User(Guid.Empty, "", "", default);
        return (user, Hasher.HashPassword(user, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24))));
    });

    [OpenApi.Requires("email", "role")]
    public sealed record InvitationRequest(string? Email, [property: OpenApi.Values("owner", "member", "viewer")] string? Role);

    [OpenApi.Requires("accept_token")]
    public sealed record AcceptRequest(string? AcceptToken);

    public static void MapAccounts(this RouteGroupBuilder api)
    {
        var auth = api.MapGroup("/auth").WithTags("Accounts");
        auth.MapPost("/signup", SignupAsync).AllowAnonymous().RequireRateLimiting(Protection.ProtectionSetup.SignInPolicy)
            .Returns<OpenApi.SignedIn>("signUp", "Sign up: a new person and their org, signed in with a session cookie", StatusCodes.Status201Created);
        auth.MapPost("/login", LoginAsync).AllowAnonymous().RequireRateLimiting(Protection.ProtectionSetup.SignInPolicy)
            .Returns<OpenApi.SignedIn>("logIn", "Sign in with email and password (sets the session cookie)")
            .Refuses(StatusCodes.Status401Unauthorized);
        auth.MapPost("/logout", LogoutAsync).AllowAnonymous().ReturnsNothing("logOut", "Sign out: this cookie session is revoked everywhere");
        auth.MapPost("/password", ChangePasswordAsync).RequireAuthorization().RequireRateLimiting(Protection.ProtectionSetup.SignInPolicy)
            .ReturnsNothing("changePassword", "Change the password; every other cookie session is revoked");

        var authed = api.MapGroup("").RequireAuthorization().WithTags("Accounts");
        var orgs = api.MapGroup("/org").RequireAuthorization().WithTags("Organization");
        authed.MapPost("/tokens", CreateTokenAsync)
            .Returns<OpenApi.TokenCreated>("createToken", "Mint a personal access token (from a signed-in session)", StatusCodes.Status201Created);
        authed.MapGet("/tokens", async (HttpContext context, AccountStore accounts) =>
        {
            var caller = context.Caller().EnsureHuman();
            var tokens = await accounts.ListTokensAsync(caller.OrgId, caller.UserId, context.RequestAborted);
            return Results.Ok(new { tokens = tokens.Select(TokenView) });
        }).Returns<OpenApi.TokenList>("listTokens", "List personal access tokens");
        authed.MapDelete("/tokens/{id}", async (string id, HttpContext context, AccountStore accounts) =>
        {
            var caller = EnsureCookie(context.Caller());
            return await accounts.RevokeTokenAsync(caller.OrgId, caller.UserId, Validate.Id(id, "Token"), context.RequestAborted)
                ? Results.NoContent()
                : throw Refusal.NotFound("Token");
        }).ReturnsNothing("revokeToken", "Revoke a personal access token");
        authed.MapGet("/me", async (HttpContext context, AccountStore accounts, AgentStore agents) =>
        {
            var caller = context.Caller();
            var (user, org, role) = await accounts.GetMembershipAsync(caller.UserId, caller.OrgId, context.RequestAborted)
                ?? throw Refusal.NotFound("Membership");
            var agent = caller.AgentId is { } agentId ? await agents.GetAsync(caller.OrgId, agentId, context.RequestAborted) : null;
            return Results.Ok(new
            {
                // R22: an agent knows whose time it counts as, not how to reach them.
                user = caller.IsAgent ? new { id = user.Id, name = user.Name } : UserView(user),
                org = OrgView(org),
                role = role.ToWire(),
                agent = agent is null ? null : Agents.View(agent),
            });
        }).AllowAgents("its own agent, and its person's id and name (not their email)")
            .Returns<OpenApi.Me>("getMe", "Read the caller: person, org, role, and the agent for an agent token");
        authed.MapGet("/me/orgs", async (HttpContext context, AccountStore accounts) =>
        {
            var caller = context.Caller().EnsureHuman();
            var memberships = await accounts.ListMembershipsAsync(caller.UserId, context.RequestAborted);
            return Results.Ok(new
            {
                orgs = memberships.Select(m => new { org = OrgView(m.Org), role = m.Role.ToWire(), current = m.Org.Id == caller.OrgId }),
            });
        }).Returns<OpenApi.MembershipList>("listMyOrgs", "List the orgs the person belongs to");
        authed.MapPost("/auth/switch", SwitchOrgAsync).Returns<OpenApi.Switched>("switchOrg", "Move the web session to another of the person's orgs");
        orgs.MapGet("", async (HttpContext context, AccountStore accounts) =>
        {
            var org = await accounts.GetOrgAsync(context.Caller().OrgId, context.RequestAborted) ?? throw Refusal.NotFound("Org");
            return Results.Ok(new { org = OrgView(org) });
        }).AllowAgents("the org's id, name and agent lease").Returns<OpenApi.OrgReply>("getOrg", "Read the caller's org");
        orgs.MapPatch("", async (OrgPatch body, HttpContext context, AccountStore accounts) =>
        {
            var caller = context.Caller().EnsureOwner();
            var name = Validate.OptionalText(body.Name, "name", 100);
            if (name is "")
            {
                throw Refusal.Invalid("name cannot be empty.");
            }

            if (body.AgentLeaseSeconds is < Org.MinLeaseSeconds or > Org.MaxLeaseSeconds)
            {
                throw Refusal.Invalid($"agent_lease_seconds must be between {Org.MinLeaseSeconds} and {Org.MaxLeaseSeconds}.");
            }

            var org = await accounts.UpdateOrgAsync(caller.OrgId, name, body.AgentLeaseSeconds, context.RequestAborted);
            return Results.Ok(new { org = OrgView(org) });
        }).Returns<OpenApi.OrgReply>("updateOrg", "Rename the org or change its agent lease (owners)");
        orgs.MapGet("/members", async (HttpContext context, AccountStore accounts) =>
        {
            var caller = context.Caller();
            var members = await accounts.ListMembersAsync(caller.OrgId, caller.ViewerScope(), context.RequestAborted);
            return Results.Ok(new { members = members.Select(MemberView) });
        }).Returns<OpenApi.MemberList>("listMembers", "List the org's members");
        orgs.MapPut("/members", ChangeRoleAsync).Returns<OpenApi.MemberReply>("changeMemberRole", "Change a member's role (owners)");
        orgs.MapPost("/invitations", InviteAsync)
            .Returns<OpenApi.InvitationCreated>("inviteMember", "Invite an email with a role (owners)", StatusCodes.Status201Created);
        orgs.MapGet("/invitations", async (HttpContext context, InvitationStore invitations) =>
        {
            var caller = context.Caller().EnsureOwner();
            var open = await invitations.ListOpenAsync(caller.OrgId, context.RequestAborted);
            return Results.Ok(new { invitations = open.Select(InvitationView) });
        }).Returns<OpenApi.InvitationList>("listInvitations", "List open invitations (owners)");
        orgs.MapDelete("/invitations/{id}", async (string id, HttpContext context, InvitationStore invitations) =>
        {
            var caller = context.Caller().EnsureOwner();
            return await invitations.RevokeAsync(caller.OrgId, Validate.Id(id, "Invitation"), context.RequestAborted)
                ? Results.NoContent()
                : throw Refusal.NotFound("Invitation");
        }).ReturnsNothing("revokeInvitation", "Withdraw an invitation (owners)");
        api.MapPost("/invitations/accept", AcceptInvitationAsync).RequireAuthorization().WithTags("Organization")
            .Returns<OpenApi.Accepted>("acceptInvitation", "Join the org that invited the signed-in person's email");
    }

    /// <summary>
    /// Changes the role of someone already a member, named by email. It never adds anyone (that takes an accepted
    /// invitation): an email that is no member's answers 404 <c>not_found</c> whether or not it has an account.
    /// </summary>
    private static async Task<IResult> ChangeRoleAsync(MemberRequest body, HttpContext context, AccountStore accounts)
    {
        var caller = context.Caller().EnsureOwner();
        var email = Validate.Text(body.Email, "email", 254);
        var role = ParseRole(body.Role);
        var member = await accounts.ChangeRoleAsync(caller.OrgId, email, role, context.RequestAborted);
        return Results.Ok(new { member = MemberView(member) });
    }

    /// <summary>
    /// An owner invites an email with a role; nothing is attached until the invitee accepts. The answer is the same
    /// whether or not the email has an account. The accept token is shown once here and stored only as its hash; the
    /// invitation expires after <see cref="Invitation.Lifetime"/> (7 days).
    /// </summary>
    private static async Task<IResult> InviteAsync(InvitationRequest body, HttpContext context, InvitationStore invitations)
    {
        var caller = context.Caller().EnsureOwner();
        var email = Email(body.Email);
        var role = ParseRole(body.Role);
        var token = Secrets.NewInvitationToken();
        var invitation = await invitations.CreateAsync(caller.OrgId, caller.UserId, email, role, Secrets.Hash(token), context.RequestAborted);
        return Results.Created($"/api/v1/org/invitations/{invitation.Id}", new { invitation = InvitationView(invitation), accept_token = token });
    }

    /// <summary>
    /// The signed-in person joins the org that invited their email. A web session only: accepting is a person's own
    /// consent, which a token (bound to another org, possibly held by a script) does not give. The session stays in its
    /// current org; <c>POST /auth/switch</c> moves it.
    /// </summary>
    private static async Task<IResult> AcceptInvitationAsync(AcceptRequest body, HttpContext context, InvitationStore invitations)
    {
        var caller = EnsureCookie(context.Caller(), "Invitations are accepted from a signed-in web session.");
        var token = Validate.Text(body.AcceptToken, "accept_token", 200);
        var (org, role) = await invitations.AcceptAsync(caller.UserId, Secrets.Hash(token), context.RequestAborted);
        return Results.Ok(new { org = OrgView(org), role = role.ToWire() });
    }

    private static async Task<IResult> SignupAsync(SignupRequest body, HttpContext context, AccountStore accounts)
    {
        var email = Email(body.Email);
        var name = Validate.Text(body.Name, "name", 100);
        var password = NewPassword(body.Password, "password");

        var (user, org) = await accounts.SignupAsync(email, Hasher.HashPassword(null!, password), name, context.RequestAborted);
        await SignInAsync(context, new Caller(user.Id, org.Id, Role.Owner, CallerKind.Cookie));
        return Results.Created("/api/v1/me", new { user = UserView(user), org = OrgView(org) });
    }

    /// <summary>
    /// Failed sign-ins are throttled per account on every node together (<see cref="SignInStore"/>), whatever address they
    /// come from; an unknown email is counted and checked against a decoy hash, so it answers like a known one, in as long.
    /// </summary>
    private static async Task<IResult> LoginAsync(
        LoginRequest body, HttpContext context, AccountStore accounts, SignInStore signIns, IOptions<LimitOptions> limits)
    {
        var email = Email(body.Email);
        var orgId = Validate.OptionalId(body.OrgId, "Org");
        await EnsureNotThrottledAsync(context, signIns, email, limits.Value);
        var found = await accounts.FindByEmailAsync(email, context.RequestAborted);
        var (candidate, hash) = found ?? Decoy.Value;
        var verified = Hasher.VerifyHashedPassword(candidate, hash, body.Password ?? "") != PasswordVerificationResult.Failed && found is not null;
        if (!verified)
        {
            await signIns.RecordFailureAsync(email, context.RequestAborted);
            throw Refusal.Unauthorized("invalid_credentials", "The email or password is wrong.");
        }

        await signIns.ClearFailuresAsync(email, context.RequestAborted);
        var (user, org, role) = await accounts.GetMembershipAsync(candidate.Id, orgId, context.RequestAborted)
            ?? throw Refusal.NotFound("Org");
        await SignInAsync(context, new Caller(user.Id, org.Id, role, CallerKind.Cookie));
        return Results.Ok(new { user = UserView(user), org = OrgView(org) });
    }

    /// <summary>Revokes this cookie's session on every node (a replayed copy is 401), then clears the cookie.</summary>
    private static async Task<IResult> LogoutAsync(HttpContext context, SignInStore signIns)
    {
        if (context.User.CookieSession() is { } session)
        {
            await signIns.RevokeCookieSessionAsync(session, context.RequestAborted);
        }

        await context.SignOutAsync(AuthSetup.CookieScheme);
        return Results.NoContent();
    }

    /// <summary>
    /// From a signed-in browser only: checks the current password (a wrong one counts as a failed sign-in of the account),
    /// sets the new one and revokes every other cookie session of the user. This cookie stays signed in.
    /// </summary>
    private static async Task<IResult> ChangePasswordAsync(
        PasswordChange body, HttpContext context, SignInStore signIns, IOptions<LimitOptions> limits)
    {
        var caller = EnsureCookie(context.Caller());
        var session = context.User.CookieSession() ?? throw Refusal.Unauthorized("unauthorized", "Sign in again.");
        var newPassword = NewPassword(body.NewPassword, "new_password");
        var (email, hash) = await signIns.GetPasswordAsync(caller.UserId, context.RequestAborted) ?? throw Refusal.NotFound("User");
        await EnsureNotThrottledAsync(context, signIns, email, limits.Value);
        if (Hasher.VerifyHashedPassword(null!, hash, body.CurrentPassword ?? "") == PasswordVerificationResult.Failed)
        {
            await signIns.RecordFailureAsync(email, context.RequestAborted);
            throw Refusal.Forbidden("current_password is wrong.", "wrong_password");
        }

        await signIns.ChangePasswordAsync(caller.UserId, Hasher.HashPassword(null!, newPassword), session, context.RequestAborted);
        await signIns.ClearFailuresAsync(email, context.RequestAborted);
        return Results.NoContent();
    }

    private static async Task EnsureNotThrottledAsync(HttpContext context, SignInStore signIns, string email, LimitOptions limits)
    {
        if (await signIns.ThrottledForAsync(email, limits.FailedSignInsPerAccount, limits.FailedSignInWindow, context.RequestAborted) is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            throw Refusal.TooManyAttempts(
                "too_many_attempts", $"Too many failed sign-ins for this account; try again in {(seconds + 59) / 60} min.", seconds);
        }
    }

    private static string NewPassword(string? value, string field) => value is { Length: >= 8 and <= 200 }
        ? value
        : throw Refusal.Invalid($"{field} must be 8 to 200 characters.");

    /// <summary>The web session moves to another org the user belongs to; a token stays bound to its org.</summary>
    private static async Task<IResult> SwitchOrgAsync(SwitchRequest body, HttpContext context, AccountStore accounts)
    {
        var caller = EnsureCookie(context.Caller());
        var orgId = Validate.Id(body.OrgId, "Org");
        var (user, org, role) = await accounts.GetMembershipAsync(caller.UserId, orgId, context.RequestAborted)
            ?? throw Refusal.NotFound("Org");
        await SignInAsync(context, new Caller(user.Id, org.Id, role, CallerKind.Cookie), context.User.CookieSession());
        return Results.Ok(new { user = UserView(user), org = OrgView(org), role = role.ToWire() });
    }

    /// <summary>A PAT is minted from a signed-in web session only: a token cannot mint tokens.</summary>
    private static async Task<IResult> CreateTokenAsync(TokenRequest body, HttpContext context, AccountStore accounts)
    {
        var caller = EnsureCookie(context.Caller());
        var name = Validate.Text(body.Name, "name", 100);
        var secret = Secrets.NewPersonalAccessToken();
        var token = await accounts.CreateTokenAsync(caller.OrgId, caller.UserId, name, Secrets.Hash(secret), context.RequestAborted);
        return Results.Created($"/api/v1/tokens/{token.Id}", new { token = TokenView(token), secret });
    }

    private static Caller EnsureCookie(Caller caller, string detail = "Tokens can only be managed from a signed-in web session.") =>
        caller.Kind == CallerKind.Cookie ? caller : throw Refusal.Forbidden(detail, "cookie_required");

    private static Role ParseRole(string? value) => Roles.TryParse(value, out var role)
        ? role
        : throw Refusal.Invalid("role must be \"owner\", \"member\" or \"viewer\".");

    /// <summary>Issues the cookie for a new cookie session, or, switching orgs, for the one it already has.</summary>
    private static async Task SignInAsync(HttpContext context, Caller caller, Guid? session = null)
    {
        session ??= await context.RequestServices.GetRequiredService<SignInStore>().OpenCookieSessionAsync(caller.UserId, context.RequestAborted);
        await context.SignInAsync(AuthSetup.CookieScheme, caller.ToPrincipal(AuthSetup.CookieScheme, session));
    }

    private static string Email(string? value)
    {
        var email = Validate.Text(value, "email", 254);
        var at = email.IndexOf('@');
        return at > 0 && at < email.Length - 1 && !email.Any(char.IsWhiteSpace)
            ? email
            : throw Refusal.Invalid("email is not a valid address.");
    }

    public static object UserView(User user) => new { id = user.Id, email = user.Email, name = user.Name, created_at = user.CreatedAt };

    public static object OrgView(Org org) =>
        new { id = org.Id, name = org.Name, agent_lease_seconds = org.AgentLeaseSeconds, created_at = org.CreatedAt };

    private static object TokenView(AccessToken token) =>
        new { id = token.Id, name = token.Name, created_at = token.CreatedAt, last_used_at = token.LastUsedAt };

    private static object InvitationView(Invitation invitation) => new
    {
        id = invitation.Id,
        email = invitation.Email,
        role = invitation.Role.ToWire(),
        created_at = invitation.CreatedAt,
        expires_at = invitation.ExpiresAt,
    };

    public static object MemberView(Member member) =>
        new { user = UserView(member.User), role = member.Role.ToWire(), joined_at = member.JoinedAt };
}
