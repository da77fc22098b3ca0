using System.Security.Claims;
using Hourdini.Gateway.Auth;
using Hourdini.Grains.Accounts;

namespace Hourdini.Api.Tests;

/// <summary>
/// A request knows its caller without parsing claims again (issue 6), but a cookie stores only the claims: what a
/// cookie gives back must be the very caller it was issued for, or a browser would act as someone else — and an agent
/// that is not active must stay refused (R11), whichever way its caller is read.
/// </summary>
public class CallerClaimsTests
{
    public static TheoryData<Caller> Callers => new()
    {
        new Caller(Guid.NewGuid(), Guid.NewGuid(), Role.Owner, CallerKind.Cookie),
        new Caller(Guid.NewGuid(), Guid.NewGuid(), Role.Viewer, CallerKind.PersonalAccessToken, TokenId: Guid.NewGuid()),
        new Caller(Guid.NewGuid(), Guid.NewGuid(), Role.Member, CallerKind.Agent, AgentId: Guid.NewGuid(), AgentActive: false),
    };

    [Theory]
    [MemberData(nameof(Callers))]
    public void A_caller_read_back_from_its_claims_alone_is_the_caller_it_was_issued_for(Caller caller)
    {
        var issued = caller.ToPrincipal(AuthSetup.CookieScheme);
        var readBack = new ClaimsPrincipal(new ClaimsIdentity(issued.Claims.Select(c => new Claim(c.Type, c.Value)), AuthSetup.CookieScheme));

        Assert.Equal(caller, AuthSetup.TryCaller(issued));
        Assert.Equal(caller, AuthSetup.TryCaller(readBack));
        Assert.Equal(caller.AgentActive, AuthSetup.TryCaller(readBack)!.AgentActive); // R11: a disabled agent stays disabled
    }

    [Fact]
    public void An_identity_that_is_not_authenticated_has_no_caller()
    {
        var caller = new Caller(Guid.NewGuid(), Guid.NewGuid(), Role.Owner, CallerKind.Cookie);
        var claimsOnly = new ClaimsPrincipal(new ClaimsIdentity(caller.ToPrincipal(AuthSetup.CookieScheme).Claims));

        Assert.Null(AuthSetup.TryCaller(claimsOnly));
    }
}
