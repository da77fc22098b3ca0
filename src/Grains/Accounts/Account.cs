namespace Hourdini.Grains.Accounts;

public enum Role
{
    /// <summary>Everything, including members, tokens and settings.</summary>
    Owner,

    /// <summary>Tracks time and manages clients and projects.</summary>
    Member,

    /// <summary>Reads only, and only the clients granted to them.</summary>
    Viewer,
}

public static class Roles
{
    public static string ToWire(this Role role) => role.ToString().ToLowerInvariant();

    public static bool TryParse(string? text, out Role role)
    {
        switch (text)
        {
            case "owner": role = Role.Owner; return true;
            case "member": role = Role.Member; return true;
            case "viewer": role = Role.Viewer; return true;
            default: role = default; return false;
        }
    }

    /// <summary>Owners and members change data; viewers only read.</summary>
    public static bool CanWrite(this Role role) => role is Role.Owner or Role.Member;
}

public sealed record User(Guid Id, string Email, string Name, DateTimeOffset CreatedAt);

public sealed record Org(Guid Id, string Name, int AgentLeaseSeconds, DateTimeOffset CreatedAt)
{
    public const int DefaultLeaseSeconds = 300;
    public const int MinLeaseSeconds = 5;
    public const int MaxLeaseSeconds = 86400;
}

public sealed record Member(User User, Role Role, DateTimeOffset JoinedAt);

public sealed record AccessToken(Guid Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>
/// Who is calling: a user acting in one org with one role, through a cookie or a token; or one of the
/// user's agents (<see cref="AgentId"/>), whose time counts as the user's.
/// </summary>
public sealed record Caller(
    Guid UserId,
    Guid OrgId,
    Role Role,
    CallerKind Kind,
    Guid? TokenId = null,
    Guid? AgentId = null,
    bool AgentActive = true)
{
    /// <summary>An agent token: it never stands in for its person (R21) and sees only what its own work needs (R22).</summary>
    public bool IsAgent => Kind == CallerKind.Agent;
}

public enum CallerKind
{
    Cookie,
    PersonalAccessToken,
    Agent,
}
