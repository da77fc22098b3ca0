using Hourdini.Grains.Common;
using Hourdini.Grains.Sessions;
using Hourdini.Grains.Users;
using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Silo.Storage.Tracking;

/// <summary>A keyset position in a list ordered newest first.</summary>
public readonly record struct Cursor(DateTimeOffset At, Guid Id);

/// <summary>
/// Reads of live tracking state straight from PostgreSQL: any node answers with what is committed,
/// whichever node holds the activations.
/// </summary>
public sealed class TrackingQueries(NpgsqlDataSource dataSource, UserStateStorage users)
{
    public async Task<UserState> GetUserStateAsync(Guid orgId, Guid userId, CancellationToken ct) =>
        (await users.ReadAsync(GrainKeys.For(orgId, userId), ct)).State ?? new UserState();

    public Task<SessionState?> GetSessionAsync(Guid orgId, Guid sessionId, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var sessions = await SessionStateStorage.ReadManyAsync(connection, orgId, [sessionId], ct);
            return sessions.Count == 0 ? null : sessions[0].State;
        });

    /// <summary>Whose a session is and whether it is stopped: the one-row read behind a heartbeat.</summary>
    public Task<(Guid UserId, Guid? AgentId, bool Stopped)?> GetSessionHolderAsync(Guid orgId, Guid sessionId, CancellationToken ct) =>
        Db.RunAsync<(Guid, Guid?, bool)?>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync(
                "SELECT user_id, agent_id, stopped_at IS NOT NULL FROM sessions WHERE org_id = $1 AND id = $2", ct, orgId, sessionId);
            return await reader.ReadAsync(ct) ? (reader.GetGuid(0), reader.Get<Guid?>("agent_id"), reader.GetBoolean(2)) : null;
        });

    /// <summary>A user's sessions (or one agent's), newest first; <paramref name="open"/> filters open or stopped ones.</summary>
    public Task<(IReadOnlyList<SessionState> Sessions, Cursor? Next)> ListSessionsAsync(
        Guid orgId, Guid userId, Guid? agentId, bool? open, Guid? projectId, Cursor? after, int limit, CancellationToken ct) =>
        Db.RunAsync<(IReadOnlyList<SessionState>, Cursor?)>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var ids = new List<Guid>();
            await using (var reader = await connection.QueryAsync(
                """
                SELECT id FROM sessions
                WHERE org_id = $1 AND user_id = $2
                  AND ($3::boolean IS NULL OR (stopped_at IS NULL) = $3)
                  AND ($4::uuid IS NULL OR project_id = $4)
                  AND ($5::timestamptz IS NULL OR (started_at, id) < ($5, $6))
                  AND ($8::uuid IS NULL OR agent_id = $8)
                ORDER BY started_at DESC, id DESC
                LIMIT $7
                """,
                ct, orgId, userId, Db.Nullable(open, NpgsqlDbType.Boolean), Db.Nullable(projectId, NpgsqlDbType.Uuid),
                Db.Nullable(after?.At, NpgsqlDbType.TimestampTz), Db.Nullable(after?.Id, NpgsqlDbType.Uuid), limit + 1,
                Db.Nullable(agentId, NpgsqlDbType.Uuid)))
            {
                while (await reader.ReadAsync(ct))
                {
                    ids.Add(reader.GetGuid(0));
                }
            }

            var page = ids.Take(limit).ToList();
            var sessions = (await SessionStateStorage.ReadManyAsync(connection, orgId, page, ct)).Select(s => s.State).ToList();
            Cursor? next = ids.Count > limit ? new Cursor(sessions[^1].StartedAt, sessions[^1].Id) : null;
            return (sessions, next);
        });
}
