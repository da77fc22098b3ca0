using Hourdini.Grains.Accounts;
using Hourdini.Grains.Common;
using Npgsql;

namespace Hourdini.Silo.Storage.Accounts;

/// <summary>
/// Invitations to an org. Whether an invited email has an account is never part of an answer: an invitation is
/// made the same way for anyone, and only the person signed in with that email can turn it into a membership.
/// </summary>
public sealed class InvitationStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private const string Open = "accepted_at IS NULL AND revoked_at IS NULL";

    /// <summary>
    /// Invites <paramref name="email"/>, replacing any open invitation for it (whose token then stops working). A member
    /// of the org already is refused: the owner sees the members anyway, so this tells them nothing new.
    /// </summary>
    public Task<Invitation> CreateAsync(Guid orgId, Guid invitedBy, string email, Role role, byte[] tokenHash, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            var now = clock.UtcNowMs();
            var invitation = new Invitation(Guid.CreateVersion7(now), email, role, now, now + Invitation.Lifetime);
            var emailKey = AccountStore.EmailKey(email);
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using (var member = await connection.QueryAsync(
                "SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND u.email_key = $2", ct, orgId, emailKey))
            {
                if (await member.ReadAsync(ct))
                {
                    throw Refusal.Conflict("already_member", "Someone with this email is already a member of the org; change their role instead.");
                }
            }

            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    Db.Command($"UPDATE invitations SET revoked_at = $3 WHERE org_id = $1 AND email_key = $2 AND {Open}", orgId, emailKey, now),
                    Db.Command(
                        """
                        INSERT INTO invitations (org_id, id, email, email_key, role, token_hash, invited_by, created_at, expires_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                        """,
                        orgId, invitation.Id, email, emailKey, role.ToWire(), tokenHash, invitedBy, now, invitation.ExpiresAt),
                },
            };
            try
            {
                await batch.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw Refusal.Conflict("concurrent_change", "This email was invited at the same moment by another request; try again.");
            }

            await transaction.CommitAsync(ct);
            return invitation;
        });

    /// <summary>Invitations not yet accepted, revoked or expired, oldest first.</summary>
    public Task<IReadOnlyList<Invitation>> ListOpenAsync(Guid orgId, CancellationToken ct) =>
        dataSource.ListAsync(
            $"SELECT * FROM invitations WHERE org_id = $1 AND {Open} AND expires_at > $2 ORDER BY created_at, id",
            Read, ct, orgId, clock.UtcNowMs());

    /// <summary>Withdraws an open invitation; false when there is none with this id (unknown, used, revoked or expired).</summary>
    public Task<bool> RevokeAsync(Guid orgId, Guid invitationId, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            var now = clock.UtcNowMs();
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            return await connection.ExecuteAsync(
                $"UPDATE invitations SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND {Open} AND expires_at > $3", ct, orgId, invitationId, now) == 1;
        });

    /// <summary>
    /// The signed-in user takes up the invitation the token names, once: 404 for a token that is unknown, used,
    /// revoked or expired (one answer for all four), 403 <c>invitation_email_mismatch</c> when the user's email is not
    /// the invited one (the invitation stays open for its addressee). Someone already a member keeps their role.
    /// </summary>
    public Task<(Org Org, Role Role)> AcceptAsync(Guid userId, byte[] tokenHash, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            var now = clock.UtcNowMs();
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            Guid orgId, invitationId;
            string invitedKey, role;
            await using (var reader = await connection.QueryAsync(
                $"SELECT org_id, id, email_key, role FROM invitations WHERE token_hash = $1 AND {Open} AND expires_at > $2 FOR UPDATE",
                ct, tokenHash, now))
            {
                if (!await reader.ReadAsync(ct))
                {
                    throw Refusal.NotFound("Invitation (or it expired, was withdrawn or was already accepted)");
                }

                (orgId, invitationId, invitedKey, role) = (reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3));
            }

            await using (var user = await connection.QueryAsync("SELECT email_key FROM users WHERE id = $1", ct, userId))
            {
                if (!await user.ReadAsync(ct) || user.GetString(0) != invitedKey)
                {
                    throw Refusal.Forbidden(
                        "This invitation is for another email address; sign in with the invited one to accept it.", "invitation_email_mismatch");
                }
            }

            // The invitation is used up and the membership made in one statement; an existing membership is left as it is.
            string kept;
            await using (var join = await connection.QueryAsync(
                """
                WITH accepted AS (
                    UPDATE invitations SET accepted_at = $4, accepted_by = $2 WHERE org_id = $1 AND id = $5),
                added AS (
                    INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (org_id, user_id) DO NOTHING RETURNING role)
                SELECT role FROM added UNION ALL SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2 LIMIT 1
                """,
                ct, orgId, userId, role, now, invitationId))
            {
                await join.ReadAsync(ct);
                kept = join.GetString(0);
            }

            Org org;
            await using (var reader = await connection.QueryAsync(
                "SELECT id AS org_id, name AS org_name, agent_lease_seconds, created_at AS org_created_at FROM orgs WHERE id = $1", ct, orgId))
            {
                await reader.ReadAsync(ct);
                org = AccountStore.ReadOrg(reader, "org_");
            }

            await transaction.CommitAsync(ct);
            return (org, Roles.TryParse(kept, out var joined) ? joined : Role.Viewer);
        });

    private static Invitation Read(NpgsqlDataReader r) => new(
        r.Get<Guid>("id"),
        r.Get<string>("email")!,
        Roles.TryParse(r.Get<string>("role"), out var role) ? role : Role.Viewer,
        r.Get<DateTimeOffset>("created_at"),
        r.Get<DateTimeOffset>("expires_at"));
}
