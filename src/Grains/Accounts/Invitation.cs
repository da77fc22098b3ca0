namespace Hourdini.Grains.Accounts;

/// <summary>
/// An owner's offer of a role in their org to whoever signs in with <see cref="Email"/>. Nobody is attached to an org
/// by someone else's say-so: the invitee accepts with the token the owner handed them, once, before it expires.
/// </summary>
public sealed record Invitation(Guid Id, string Email, Role Role, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt)
{
    /// <summary>
    /// Seven days: long enough to reach someone over a weekend, short enough that a token forgotten in a chat history
    /// stops working. Inviting the same email again replaces the open invitation with a fresh token.
    /// </summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);
}
