using System.Collections.Immutable;
using Hourdini.Grains.Common;
using Hourdini.Grains.Users;
using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Silo.Storage.Tracking;

/// <summary>
/// The user grain's state. Its own row (user_tracking, guarded by its version) holds only the running timer; the focus
/// and the agents' open sessions are read from the session rows, which are the facts (README, "Consistency across
/// grains"): whatever committed last is what a fresh activation, and <c>GET /me/focus</c>, see.
/// </summary>
public sealed class UserStateStorage(NpgsqlDataSource dataSource)
{
    public async Task<(UserState? State, long Version)> ReadAsync(string key, CancellationToken cancellationToken)
    {
        var (orgId, userId) = GrainKeys.Parse(key);
        return await Db.RunAsync<(UserState?, long)>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    Db.Command("SELECT * FROM user_tracking WHERE org_id = $1 AND user_id = $2", orgId, userId),

                    // R3: the open active beat (at most one: beats_one_open_active) is the focus.
                    Db.Command(
                        "SELECT session_id FROM beats WHERE org_id = $1 AND user_id = $2 AND kind = 'active' AND ended_at IS NULL",
                        orgId, userId),

                    // R8: each agent's one open session (sessions_one_open_per_agent).
                    Db.Command(
                        "SELECT agent_id, id FROM sessions WHERE org_id = $1 AND user_id = $2 AND agent_id IS NOT NULL AND stopped_at IS NULL",
                        orgId, userId),
                },
            };
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            RunningTimer? timer = null;
            long version = 0;
            if (await reader.ReadAsync(cancellationToken))
            {
                version = reader.Get<long>("version");
                timer = reader.Get<DateTimeOffset?>("timer_started_at") is { } startedAt
                    ? new RunningTimer(
                        reader.Get<Guid>("timer_id"),
                        reader.Get<Guid>("timer_project_id"),
                        reader.Get<string>("timer_description")!,
                        reader.Get<string[]>("timer_tags") ?? [],
                        startedAt,
                        reader.Get<decimal>("timer_rate"),
                        reader.Get<string>("timer_currency")!)
                    : null;
            }

            await reader.NextResultAsync(cancellationToken);
            Guid? focused = await reader.ReadAsync(cancellationToken) ? reader.GetGuid(0) : null;

            await reader.NextResultAsync(cancellationToken);
            var agentSessions = ImmutableDictionary.CreateBuilder<Guid, Guid>();
            while (await reader.ReadAsync(cancellationToken))
            {
                agentSessions[reader.GetGuid(0)] = reader.GetGuid(1);
            }

            var state = new UserState { Timer = timer, FocusedSessionId = focused, AgentSessions = agentSessions.ToImmutable() };
            return version == 0 && focused is null && agentSessions.Count == 0 ? (null, 0) : (state, version);
        });
    }

    /// <summary>Writes the timer if the row still has <paramref name="expectedVersion"/> (0: no row yet), else fails (HD409).</summary>
    public NpgsqlBatchCommand[] Write(string key, UserState state, long expectedVersion)
    {
        var (orgId, userId) = GrainKeys.Parse(key);
        var timer = state.Timer;
        object?[] values =
        [
            orgId, userId, expectedVersion + 1,
            Db.Nullable(timer?.ProjectId, NpgsqlDbType.Uuid),
            Db.Nullable(timer?.Description, NpgsqlDbType.Text),
            Db.Nullable(timer?.Tags.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
            Db.Nullable(timer?.StartedAt, NpgsqlDbType.TimestampTz),
            Db.Nullable(timer?.Rate, NpgsqlDbType.Numeric),
            Db.Nullable(timer?.Currency, NpgsqlDbType.Char),
            Db.Nullable(timer?.Id, NpgsqlDbType.Uuid),
        ];

        var sql = expectedVersion == 0
            ? """
              WITH w AS (
                  INSERT INTO user_tracking (org_id, user_id, version, timer_project_id,
                      timer_description, timer_tags, timer_started_at, timer_rate, timer_currency, timer_id)
                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                  ON CONFLICT DO NOTHING RETURNING 1)
              SELECT hd_expect_one(count(*), 'user ' || $2::text) FROM w
              """
            : """
              WITH w AS (
                  UPDATE user_tracking SET version = $3, timer_project_id = $4,
                      timer_description = $5, timer_tags = $6, timer_started_at = $7, timer_rate = $8, timer_currency = $9, timer_id = $10
                  WHERE org_id = $1 AND user_id = $2 AND version = $3 - 1
                  RETURNING 1)
              SELECT hd_expect_one(count(*), 'user ' || $2::text) FROM w
              """;
        return [Db.Command(sql, values)];
    }
}
