using Hourdini.Grains.Accounts;
using Hourdini.Grains.Common;
using Npgsql;

namespace Hourdini.Silo.Storage.Accounts;

/// <summary>Users, orgs, memberships and personal access tokens.</summary>
public sealed class AccountStore(NpgsqlDataSource dataSource, TimeProvider clock, CallerCache callers)
{
    /// <summary>Creates the user with a personal org they own, in one transaction.</summary>
    public Task<(User User, Org Org)> SignupAsync(string email, string passwordHash, string name, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            var now = clock.UtcNowMs();
            var user = new User(Guid.CreateVersion7(now), email, name, now);
            var org = new Org(Guid.CreateVersion7(now), $"{name}'s workspace", Org.DefaultLeaseSeconds, now);
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    Db.Command("INSERT INTO users (id, email, email_key, password_hash, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                        user.Id, email, EmailKey(email), passwordHash, name, now),
                    Db.Command("INSERT INTO orgs (id, name, agent_lease_seconds, created_at) VALUES ($1, $2, $3, $4)",
                        org.Id, org.Name, org.AgentLeaseSeconds, now),
                    Db.Command("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
                        org.Id, user.Id, now),
                },
            };
            try
            {
                await batch.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw Refusal.Conflict("email_taken", "An account with this email already exists.");
            }

            await transaction.CommitAsync(ct);
            return (user, org);
        });

    public Task<(User User, string PasswordHash)?> FindByEmailAsync(string email, CancellationToken ct) =>
        Db.RunAsync<(User, string)?>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync("SELECT * FROM users WHERE email_key = $1", ct, EmailKey(email));
            return await reader.ReadAsync(ct) ? (ReadUser(reader), reader.Get<string>("password_hash")!) : null;
        });

    /// <summary>The user's membership in <paramref name="orgId"/>, or in the org they joined first.</summary>
    public Task<(User User, Org Org, Role Role)?> GetMembershipAsync(Guid userId, Guid? orgId, CancellationToken ct) =>
        Db.RunAsync<(User, Org, Role)?>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync(
                """
                SELECT u.*, o.id AS org_id, o.name AS org_name, o.agent_lease_seconds, o.created_at AS org_created_at, m.role
                FROM memberships m JOIN users u ON u.id = m.user_id JOIN orgs o ON o.id = m.org_id
                WHERE m.user_id = $1 AND ($2::uuid IS NULL OR m.org_id = $2)
                ORDER BY m.created_at, m.org_id LIMIT 1
                """,
                ct, userId, Db.Nullable(orgId, NpgsqlTypes.NpgsqlDbType.Uuid));
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }

            Roles.TryParse(reader.Get<string>("role"), out var role);
            return (ReadUser(reader), ReadOrg(reader, "org_"), role);
        });

    /// <summary>Every org the user belongs to, with their role there, in the order they joined.</summary>
    public Task<IReadOnlyList<(Org Org, Role Role)>> ListMembershipsAsync(Guid userId, CancellationToken ct) =>
        dataSource.ListAsync(
            """
            SELECT o.id AS org_id, o.name AS org_name, o.agent_lease_seconds, o.created_at AS org_created_at, m.role
            FROM memberships m JOIN orgs o ON o.id = m.org_id
            WHERE m.user_id = $1 ORDER BY m.created_at, m.org_id
            """,
            r => (ReadOrg(r, "org_"), Roles.TryParse(r.Get<string>("role"), out var role) ? role : Role.Viewer),
            ct, userId);

    public Task<Org?> GetOrgAsync(Guid orgId, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync(
                "SELECT id AS org_id, name AS org_name, agent_lease_seconds, created_at AS org_created_at FROM orgs WHERE id = $1", ct, orgId);
            return await reader.ReadAsync(ct) ? ReadOrg(reader, "org_") : null;
        });

    public Task<Org> UpdateOrgAsync(Guid orgId, string? name, int? agentLeaseSeconds, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync(
                """
                UPDATE orgs SET name = coalesce($2, name), agent_lease_seconds = coalesce($3, agent_lease_seconds) WHERE id = $1
                RETURNING id AS org_id, name AS org_name, agent_lease_seconds, created_at AS org_created_at
                """,
                ct, orgId, Db.Nullable(name, NpgsqlTypes.NpgsqlDbType.Text), Db.Nullable(agentLeaseSeconds, NpgsqlTypes.NpgsqlDbType.Integer));
            return await reader.ReadAsync(ct) ? ReadOrg(reader, "org_") : throw Refusal.NotFound("Org");
        });

    public Task<AccessToken> CreateTokenAsync(Guid orgId, Guid userId, string name, byte[] secretHash, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            // Created once per Idempotency-Key; a run after a crash gives the token a new secret (the first was never shown).
            var now = clock.UtcNowMs();
            var token = new AccessToken(IdempotentRequest.NewId(now, "token"), name, now, null);
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand(
                """
                INSERT INTO tokens (org_id, id, user_id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (org_id, id) DO UPDATE SET secret_hash = excluded.secret_hash
                """, connection);
            foreach (var value in new object[] { orgId, token.Id, userId, name, secretHash, token.CreatedAt })
            {
                command.Parameters.Add(Db.Parameter(value));
            }

            await command.ExecuteNonQueryAsync(ct);
            return token;
        });

    public Task<IReadOnlyList<AccessToken>> ListTokensAsync(Guid orgId, Guid userId, CancellationToken ct) =>
        dataSource.ListAsync(
            "SELECT id, name, created_at, last_used_at FROM tokens WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL ORDER BY created_at",
            r => new AccessToken(r.GetGuid(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.Get<DateTimeOffset?>("last_used_at")),
            ct, orgId, userId);

    public Task<bool> RevokeTokenAsync(Guid orgId, Guid userId, Guid tokenId, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand(
                "UPDATE tokens SET revoked_at = $4 WHERE org_id = $1 AND user_id = $2 AND id = $3 AND revoked_at IS NULL", connection);
            foreach (var value in new object[] { orgId, userId, tokenId, clock.UtcNowMs() })
            {
                command.Parameters.Add(Db.Parameter(value));
            }

            var revoked = await command.ExecuteNonQueryAsync(ct) == 1;
            callers.Forget(orgId, userId);
            return revoked;
        });

    /// <summary>The caller a PAT stands for, while the token is live and its user still a member.</summary>
    public Task<Caller?> FindTokenAsync(byte[] secretHash, CancellationToken ct) =>
        callers.GetOrLoadAsync(secretHash, () => Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync(
                """
                SELECT t.id, t.org_id, t.user_id, m.role FROM tokens t
                JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.user_id
                WHERE t.secret_hash = $1 AND t.revoked_at IS NULL
                """,
                ct, secretHash);
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }

            Roles.TryParse(reader.GetString(3), out var role);
            return new Caller(reader.GetGuid(2), reader.GetGuid(1), role, CallerKind.PersonalAccessToken, reader.GetGuid(0));
        }));

    /// <summary>The org's members; a viewer (<paramref name="viewerId"/> set) sees only themself (their colleagues' emails are not theirs to read).</summary>
    public Task<IReadOnlyList<Member>> ListMembersAsync(Guid orgId, Guid? viewerId, CancellationToken ct) =>
        dataSource.ListAsync(
            """
            SELECT u.*, m.role, m.created_at AS joined_at FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.org_id = $1 AND ($2::uuid IS NULL OR m.user_id = $2) ORDER BY m.created_at
            """,
            ReadMember, ct, orgId, Db.Nullable(viewerId, NpgsqlTypes.NpgsqlDbType.Uuid));

    /// <summary>
    /// Changes the role of someone who is already a member; nobody joins this way (they accept an invitation). An email
    /// that is no member's is 404 whether or not it has an account. An org always keeps an owner.
    /// </summary>
    public Task<Member> ChangeRoleAsync(Guid orgId, string email, Role role, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync("SELECT 1 FROM orgs WHERE id = $1 FOR UPDATE", ct, orgId);

            Member member;
            await using (var reader = await connection.QueryAsync(
                """
                UPDATE memberships m SET role = $3 FROM users u
                WHERE m.org_id = $1 AND m.user_id = u.id AND u.email_key = $2
                RETURNING u.*, m.role, m.created_at AS joined_at
                """,
                ct, orgId, EmailKey(email), role.ToWire()))
            {
                member = await reader.ReadAsync(ct) ? ReadMember(reader) : throw Refusal.NotFound("A member with this email");
            }

            await using (var owners = await connection.QueryAsync("SELECT count(*) FROM memberships WHERE org_id = $1 AND role = 'owner'", ct, orgId))
            {
                await owners.ReadAsync(ct);
                if (owners.GetInt64(0) == 0)
                {
                    throw Refusal.Conflict("last_owner", "An org always keeps at least one owner.");
                }
            }

            await transaction.CommitAsync(ct);
            return member;
        });

    /// <summary>The viewers a client is granted to.</summary>
    public Task<IReadOnlyList<Member>> ListClientViewersAsync(Guid orgId, Guid clientId, CancellationToken ct) =>
        dataSource.ListAsync(
            """
            SELECT u.*, m.role, m.created_at AS joined_at FROM client_grants g
            JOIN memberships m ON m.org_id = g.org_id AND m.user_id = g.user_id JOIN users u ON u.id = m.user_id
            WHERE g.org_id = $1 AND g.client_id = $2 ORDER BY m.created_at
            """,
            ReadMember, ct, orgId, clientId);

    /// <summary>
    /// Lets a viewer see a client: its projects, their tasks and every entry on them. Only viewers take grants (owners
    /// and members see every client already): anyone else is 409 <c>not_a_viewer</c>. Granting twice changes nothing.
    /// </summary>
    public Task<Member> GrantClientAsync(Guid orgId, Guid clientId, Guid userId, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using (var client = await connection.QueryAsync("SELECT 1 FROM clients WHERE org_id = $1 AND id = $2", ct, orgId, clientId))
            {
                if (!await client.ReadAsync(ct))
                {
                    throw Refusal.NotFound("Client");
                }
            }

            Member member;
            await using (var reader = await connection.QueryAsync(
                """
                SELECT u.*, m.role, m.created_at AS joined_at FROM memberships m JOIN users u ON u.id = m.user_id
                WHERE m.org_id = $1 AND m.user_id = $2
                """, ct, orgId, userId))
            {
                member = await reader.ReadAsync(ct) ? ReadMember(reader) : throw Refusal.NotFound("Member");
            }

            if (member.Role != Role.Viewer)
            {
                throw Refusal.Conflict("not_a_viewer", "Only viewers are granted clients; owners and members see every client.");
            }

            await connection.ExecuteAsync(
                "INSERT INTO client_grants (org_id, client_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", ct, orgId, clientId, userId);

            await transaction.CommitAsync(ct);
            return member;
        });

    /// <summary>Takes a client back from a viewer; false when it was not granted to them (or either is unknown).</summary>
    public Task<bool> RevokeClientAsync(Guid orgId, Guid clientId, Guid userId, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            return await connection.ExecuteAsync(
                "DELETE FROM client_grants WHERE org_id = $1 AND client_id = $2 AND user_id = $3", ct, orgId, clientId, userId) == 1;
        });

    public static string EmailKey(string email) => email.Trim().ToLowerInvariant();

    internal static User ReadUser(NpgsqlDataReader reader) =>
        new(reader.Get<Guid>("id"), reader.Get<string>("email")!, reader.Get<string>("name")!, reader.Get<DateTimeOffset>("created_at"));

    private static Member ReadMember(NpgsqlDataReader reader) =>
        new(ReadUser(reader), Roles.TryParse(reader.Get<string>("role"), out var role) ? role : Role.Viewer, reader.Get<DateTimeOffset>("joined_at"));

    internal static Org ReadOrg(NpgsqlDataReader reader, string prefix) =>
        new(reader.Get<Guid>(prefix + "id"), reader.Get<string>(prefix + "name")!, reader.Get<int>("agent_lease_seconds"), reader.Get<DateTimeOffset>(prefix + "created_at"));
}
