using System.Collections.Immutable;
using System.Text.Json;
using Hourdini.Grains.Common;
using Hourdini.Grains.Users;
using Hourdini.Silo.Activation;
using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Silo.Storage.Tracking;

/// <summary>The user grain's state: one user_tracking row per (org, user), guarded by its version.</summary>
public sealed class UserStateStorage(NpgsqlDataSource dataSource) : IGrainStorage<UserState>
{
    public async Task<StoredState<UserState>> ReadAsync(string key, CancellationToken cancellationToken)
    {
        var (orgId, userId) = GrainKeys.Parse(key);
        return await Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var reader = await connection.QueryAsync(
                "SELECT * FROM user_tracking WHERE org_id = $1 AND user_id = $2", cancellationToken, orgId, userId);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new StoredState<UserState>(null, 0);
            }

            var timer = reader.Get<DateTimeOffset?>("timer_started_at") is { } startedAt
                ? new RunningTimer(
                    reader.Get<Guid>("timer_id"),
                    reader.Get<Guid>("timer_project_id"),
                    reader.Get<string>("timer_description")!,
                    reader.Get<string[]>("timer_tags") ?? [],
                    startedAt,
                    reader.Get<decimal>("timer_rate"),
                    reader.Get<string>("timer_currency")!)
                : null;
            var agentSessions = JsonSerializer.Deserialize<Dictionary<Guid, Guid>>(reader.Get<string>("agent_sessions")!)!;
            var state = new UserState
            {
                Timer = timer,
                FocusedSessionId = reader.Get<Guid?>("focused_session_id"),
                AgentSessions = agentSessions.ToImmutableDictionary(),
            };
            return new StoredState<UserState>(state, reader.Get<long>("version"));
        });
    }

    public void StageCheck(TurnTransaction turn, string key, long version)
    {
        var (orgId, userId) = GrainKeys.Parse(key);
        turn.Stage(new PgWrite(Db.VersionCheck("user_tracking", "user_id", "user", orgId, userId, version)));
    }

    public void StageWrite(TurnTransaction turn, string key, UserState state, UserState? persisted, long expectedVersion)
    {
        var (orgId, userId) = GrainKeys.Parse(key);
        var timer = state.Timer;
        object?[] values =
        [
            orgId, userId, expectedVersion + 1,
            Db.Nullable(state.FocusedSessionId, NpgsqlDbType.Uuid),
            Db.Nullable(timer?.ProjectId, NpgsqlDbType.Uuid),
            Db.Nullable(timer?.Description, NpgsqlDbType.Text),
            Db.Nullable(timer?.Tags.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
            Db.Nullable(timer?.StartedAt, NpgsqlDbType.TimestampTz),
            Db.Nullable(timer?.Rate, NpgsqlDbType.Numeric),
            Db.Nullable(timer?.Currency, NpgsqlDbType.Char),
            Db.Nullable(timer?.Id, NpgsqlDbType.Uuid),
            Db.Jsonb(JsonSerializer.Serialize(state.AgentSessions)),
        ];

        var sql = expectedVersion == 0
            ? """
              WITH w AS (
                  INSERT INTO user_tracking (org_id, user_id, version, focused_session_id, timer_project_id,
                      timer_description, timer_tags, timer_started_at, timer_rate, timer_currency, timer_id, agent_sessions)
                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                  ON CONFLICT DO NOTHING RETURNING 1)
              SELECT hd_expect_one(count(*), 'user ' || $2::text) FROM w
              """
            : """
              WITH w AS (
                  UPDATE user_tracking SET version = $3, focused_session_id = $4, timer_project_id = $5,
                      timer_description = $6, timer_tags = $7, timer_started_at = $8, timer_rate = $9, timer_currency = $10, timer_id = $11,
                      agent_sessions = $12
                  WHERE org_id = $1 AND user_id = $2 AND version = $3 - 1
                  RETURNING 1)
              SELECT hd_expect_one(count(*), 'user ' || $2::text) FROM w
              """;
        turn.Stage(new PgWrite(Db.Command(sql, values)));
    }
}
