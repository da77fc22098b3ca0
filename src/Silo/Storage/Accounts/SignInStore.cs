using Hourdini.Grains.Accounts;
using Hourdini.Grains.Common;
using Npgsql;

namespace Hourdini.Silo.Storage.Accounts;

/// <summary>
/// What makes a sign-in trustworthy across nodes (issue 24): cookie sessions the server can revoke, and failed sign-ins
/// counted per account in PostgreSQL, so every node throttles an account together whatever address the attempts use.
/// </summary>
public sealed class SignInStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    /// <summary>Opens the server-side record of a new cookie; the cookie carries its id.</summary>
    public Task<Guid> OpenCookieSessionAsync(Guid userId, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            var now = clock.UtcNowMs();
            var id = Guid.CreateVersion7(now);
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var _ = await connection.QueryAsync(
                "INSERT INTO cookie_sessions (id, user_id, created_at) VALUES ($1, $2, $3)", ct, id, userId, now);
            return id;
        });

    /// <summary>The caller's role in <paramref name="orgId"/> if the cookie session is still open and the membership stands.</summary>
    public Task<Role?> CheckCookieAsync(Guid sessionId, Guid userId, Guid orgId, CancellationToken ct) =>
        Db.RunAsync<Role?>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync(
                """
                SELECT m.role FROM cookie_sessions s JOIN memberships m ON m.user_id = s.user_id AND m.org_id = $3
                WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL
                """,
                ct, sessionId, userId, orgId);
            return await reader.ReadAsync(ct) && Roles.TryParse(reader.GetString(0), out var role) ? role : null;
        });

    public Task RevokeCookieSessionAsync(Guid sessionId, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var _ = await connection.QueryAsync(
                "UPDATE cookie_sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", ct, sessionId, clock.UtcNowMs());
        });

    /// <summary>The user's email and password hash, for checking the current password before a change.</summary>
    public Task<(string Email, string PasswordHash)?> GetPasswordAsync(Guid userId, CancellationToken ct) =>
        Db.RunAsync<(string, string)?>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync("SELECT email, password_hash FROM users WHERE id = $1", ct, userId);
            return await reader.ReadAsync(ct) ? (reader.GetString(0), reader.GetString(1)) : null;
        });

    /// <summary>Sets a new password and revokes every other cookie session of the user, in one transaction.</summary>
    public Task ChangePasswordAsync(Guid userId, string passwordHash, Guid keptSession, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    Db.Command("UPDATE users SET password_hash = $2 WHERE id = $1", userId, passwordHash),
                    Db.Command("UPDATE cookie_sessions SET revoked_at = $3 WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL",
                        userId, keptSession, clock.UtcNowMs()),
                },
            };
            await batch.ExecuteNonQueryAsync(ct);
            await transaction.CommitAsync(ct);
        });

    /// <summary>
    /// How long the account must wait before another attempt, or null when it may try: <paramref name="limit"/> failures
    /// within <paramref name="window"/> close it until the oldest of them leaves the window.
    /// </summary>
    public Task<TimeSpan?> ThrottledForAsync(string email, int limit, TimeSpan window, CancellationToken ct) =>
        Db.RunAsync<TimeSpan?>(async () =>
        {
            var now = clock.GetUtcNow();
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync(
                """
                SELECT failed_at FROM sign_in_failures WHERE email_key = $1 AND failed_at > $2
                ORDER BY failed_at DESC OFFSET $3 - 1 LIMIT 1
                """,
                ct, AccountStore.EmailKey(email), now - window, limit);
            return await reader.ReadAsync(ct) ? reader.GetFieldValue<DateTimeOffset>(0) + window - now : null;
        });

    public Task RecordFailureAsync(string email, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var _ = await connection.QueryAsync(
                "INSERT INTO sign_in_failures (email_key, failed_at) VALUES ($1, $2)", ct, AccountStore.EmailKey(email), clock.GetUtcNow());
        });

    /// <summary>A success closes the account's streak of failures.</summary>
    public Task ClearFailuresAsync(string email, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var _ = await connection.QueryAsync(
                "DELETE FROM sign_in_failures WHERE email_key = $1", ct, AccountStore.EmailKey(email));
        });

    /// <summary>Failures older than <paramref name="failedBefore"/> no longer count; revoked cookies are kept a while for support.</summary>
    public Task<(long Failures, long CookieSessions)> DeleteExpiredAsync(DateTimeOffset failedBefore, DateTimeOffset revokedBefore, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var failures = new NpgsqlCommand("DELETE FROM sign_in_failures WHERE failed_at < $1", connection) { Parameters = { Db.Parameter(failedBefore) } };
            await using var sessions = new NpgsqlCommand("DELETE FROM cookie_sessions WHERE revoked_at < $1", connection) { Parameters = { Db.Parameter(revokedBefore) } };
            return ((long)await failures.ExecuteNonQueryAsync(ct), (long)await sessions.ExecuteNonQueryAsync(ct));
        });
}
