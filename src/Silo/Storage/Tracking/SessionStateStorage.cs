using System.Collections.Immutable;
using Hourdini.Grains.Common;
using Hourdini.Grains.Sessions;
using Hourdini.Silo.Activation;
using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Silo.Storage.Tracking;

/// <summary>
/// A session grain's state: its sessions row (versioned) and its beats. Closed beats never change,
/// so a write touches only the beat that was open when last stored and the beats added since.
/// The agent's lease (<c>last_heard_at</c>) is also renewed outside turns, unversioned, so a write only moves it forward.
/// </summary>
public sealed class SessionStateStorage(NpgsqlDataSource dataSource) : IGrainStorage<SessionState>
{
    public async Task<StoredState<SessionState>> ReadAsync(string key, CancellationToken cancellationToken)
    {
        var (orgId, sessionId) = GrainKeys.Parse(key);
        return await Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var loaded = await ReadManyAsync(connection, orgId, [sessionId], cancellationToken);
            return loaded.Count == 0
                ? new StoredState<SessionState>(null, 0)
                : new StoredState<SessionState>(loaded[0].State, loaded[0].Version);
        });
    }

    /// <summary>Reads sessions with their beats, in the order of <paramref name="sessionIds"/>.</summary>
    public static async Task<IReadOnlyList<(SessionState State, long Version)>> ReadManyAsync(
        NpgsqlConnection connection, Guid orgId, IReadOnlyList<Guid> sessionIds, CancellationToken cancellationToken)
    {
        var ids = sessionIds.ToArray();
        var sessions = new Dictionary<Guid, (SessionState State, long Version)>();
        var beats = new Dictionary<Guid, ImmutableList<Beat>.Builder>();

        // Both reads in one round trip.
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Db.Command("SELECT * FROM sessions WHERE org_id = $1 AND id = ANY($2)", orgId, ids),
                Db.Command(
                    "SELECT session_id, kind, started_at, ended_at FROM beats WHERE org_id = $1 AND session_id = ANY($2) ORDER BY session_id, seq",
                    orgId, ids),
            },
        };
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var state = new SessionState
                {
                    Id = reader.Get<Guid>("id"),
                    OrgId = orgId,
                    UserId = reader.Get<Guid>("user_id"),
                    AgentId = reader.Get<Guid?>("agent_id"),
                    ProjectId = reader.Get<Guid>("project_id"),
                    Description = reader.Get<string>("description")!,
                    Status = reader.Get<string>("status")!,
                    BillAgentTime = reader.Get<bool>("bill_agent_time"),
                    Rate = reader.Get<decimal>("rate"),
                    Currency = reader.Get<string>("currency")!,
                    StartedAt = reader.Get<DateTimeOffset>("started_at"),
                    StoppedAt = reader.Get<DateTimeOffset?>("stopped_at"),
                    EntryId = reader.Get<Guid?>("entry_id"),
                    Metadata = reader.Get<string>("metadata")!,
                    EventsCount = reader.Get<int>("events_count"),
                    TasksWorkedOn = [.. reader.Get<Guid[]>("tasks_worked_on") ?? []],
                    TasksCompleted = [.. reader.Get<Guid[]>("tasks_completed") ?? []],
                    LogsCount = reader.Get<int>("logs_count"),
                    LastHeardAt = reader.Get<DateTimeOffset?>("last_heard_at"),
                };
                sessions[state.Id] = (state, reader.Get<long>("version"));
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var sessionId = reader.GetGuid(0);
                BeatKinds.TryParse(reader.GetString(1), out var kind);
                if (!beats.TryGetValue(sessionId, out var list))
                {
                    beats[sessionId] = list = ImmutableList.CreateBuilder<Beat>();
                }

                list.Add(new Beat(kind, reader.GetFieldValue<DateTimeOffset>(2), reader.Get<DateTimeOffset?>("ended_at")));
            }
        }

        return ids.Where(sessions.ContainsKey)
            .Select(id => sessions[id] with
            {
                State = sessions[id].State with { Beats = beats.TryGetValue(id, out var b) ? b.ToImmutable() : [] },
            })
            .ToList();
    }

    public void StageCheck(TurnTransaction turn, string key, long version)
    {
        var (orgId, sessionId) = GrainKeys.Parse(key);
        turn.Stage(new PgWrite(Db.VersionCheck("sessions", "id", "session", orgId, sessionId, version)));
    }

    public void StageWrite(TurnTransaction turn, string key, SessionState state, SessionState? persisted, long expectedVersion)
    {
        var commands = new List<NpgsqlBatchCommand>();
        if (expectedVersion == 0)
        {
            commands.Add(Db.Command(
                """
                INSERT INTO sessions (org_id, id, user_id, agent_id, project_id, description, status, bill_agent_time,
                    rate, currency, started_at, stopped_at, entry_id, metadata, version,
                    events_count, tasks_worked_on, tasks_completed, logs_count, last_heard_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $16, $17, $18, $19)
                """,
                state.OrgId, state.Id, state.UserId, Db.Nullable(state.AgentId, NpgsqlDbType.Uuid), state.ProjectId,
                state.Description, state.Status, state.BillAgentTime, state.Rate, state.Currency, state.StartedAt,
                Db.Nullable(state.StoppedAt, NpgsqlDbType.TimestampTz), Db.Nullable(state.EntryId, NpgsqlDbType.Uuid),
                Db.Jsonb(state.Metadata), state.EventsCount, state.TasksWorkedOn.ToArray(), state.TasksCompleted.ToArray(),
                state.LogsCount, Db.Nullable(state.LastHeardAt, NpgsqlDbType.TimestampTz)));
        }

        // Beats before the session row: the row's trigger refuses any change once it is stopped (R7).
        var firstChanged = persisted is null ? 0 : Math.Max(0, persisted.Beats.Count - 1);
        for (var seq = firstChanged; seq < state.Beats.Count; seq++)
        {
            var beat = state.Beats[seq];
            if (persisted is not null && seq < persisted.Beats.Count)
            {
                if (persisted.Beats[seq] != beat)
                {
                    commands.Add(Db.Command(
                        "UPDATE beats SET ended_at = $4 WHERE org_id = $1 AND session_id = $2 AND seq = $3",
                        state.OrgId, state.Id, seq, Db.Nullable(beat.EndedAt, NpgsqlDbType.TimestampTz)));
                }

                continue;
            }

            commands.Add(Db.Command(
                "INSERT INTO beats (org_id, session_id, seq, user_id, kind, started_at, ended_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                state.OrgId, state.Id, seq, state.UserId, beat.Kind.ToWire(), beat.StartedAt,
                Db.Nullable(beat.EndedAt, NpgsqlDbType.TimestampTz)));
        }

        if (expectedVersion > 0)
        {
            commands.Add(Update(state, expectedVersion, persisted is null ? (1 << Columns.Length) - 1 : Changed(state, persisted)));
        }

        turn.Stage(new PgWrite([.. commands]));
    }

    /// <summary>The row's columns a turn can change, in the order <see cref="Changed"/> names them.</summary>
    private static readonly string[] Columns =
    [
        "description", "status", "stopped_at", "entry_id", "metadata", "events_count", "tasks_worked_on", "tasks_completed", "logs_count",
        "last_heard_at",
    ];

    /// <summary>One statement text per set of changed columns, made the first time that set is written.</summary>
    private static readonly string?[] UpdateTexts = new string?[1 << Columns.Length];

    /// <summary>
    /// The columns that differ from the state as last stored; a write sends only those (one with no stored state to
    /// compare against sends all). A log changes three or four of the ten, and the rest were sent on every write
    /// (issue 6: parameters were the gateway's largest allocation, docs/BENCHMARKS.md). The version in the WHERE clause
    /// makes this safe: the row still holds exactly <paramref name="persisted"/> or the write fails.
    /// </summary>
    private static int Changed(SessionState state, SessionState persisted)
    {
        var changed = 0;
        void Note(int column, bool differs) => changed |= differs ? 1 << column : 0;
        Note(0, state.Description != persisted.Description);
        Note(1, state.Status != persisted.Status);
        Note(2, state.StoppedAt != persisted.StoppedAt);
        Note(3, state.EntryId != persisted.EntryId);
        Note(4, state.Metadata != persisted.Metadata);
        Note(5, state.EventsCount != persisted.EventsCount);
        Note(6, !ReferenceEquals(state.TasksWorkedOn, persisted.TasksWorkedOn) && !state.TasksWorkedOn.SequenceEqual(persisted.TasksWorkedOn));
        Note(7, !ReferenceEquals(state.TasksCompleted, persisted.TasksCompleted) && !state.TasksCompleted.SequenceEqual(persisted.TasksCompleted));
        Note(8, state.LogsCount != persisted.LogsCount);
        Note(9, state.LastHeardAt != persisted.LastHeardAt);
        return changed;
    }

    /// <summary>Bumps the version (every write does, issue 7) and sets the columns in <paramref name="changed"/>.</summary>
    private static NpgsqlBatchCommand Update(SessionState state, long expectedVersion, int changed)
    {
        var command = Db.Command(UpdateTexts[changed] ??= UpdateText(changed), state.OrgId, state.Id, expectedVersion + 1);
        for (var column = 0; column < Columns.Length; column++)
        {
            if ((changed & (1 << column)) == 0)
            {
                continue;
            }

            command.Parameters.Add(column switch
            {
                0 => Db.Parameter(state.Description),
                1 => Db.Parameter(state.Status),
                2 => Db.Nullable(state.StoppedAt, NpgsqlDbType.TimestampTz),
                3 => Db.Nullable(state.EntryId, NpgsqlDbType.Uuid),
                4 => Db.Jsonb(state.Metadata),
                5 => Db.Parameter(state.EventsCount),
                6 => Db.Parameter(state.TasksWorkedOn.ToArray()),
                7 => Db.Parameter(state.TasksCompleted.ToArray()),
                8 => Db.Parameter(state.LogsCount),
                _ => Db.Nullable(state.LastHeardAt, NpgsqlDbType.TimestampTz),
            });
        }

        return command;
    }

    private static string UpdateText(int changed)
    {
        var set = new System.Text.StringBuilder("version = $3");
        var parameter = 3;
        for (var column = 0; column < Columns.Length; column++)
        {
            if ((changed & (1 << column)) == 0)
            {
                continue;
            }

            parameter++;
            var name = Columns[column];

            // R15: heartbeats renew the lease outside turns, so a write never moves it back.
            set.Append($", {name} = ").Append(name == "last_heard_at" ? $"greatest(last_heard_at, ${parameter})" : $"${parameter}");
        }

        return $"""
            WITH w AS (
                UPDATE sessions SET {set}
                WHERE org_id = $1 AND id = $2 AND version = $3 - 1
                RETURNING 1)
            SELECT hd_expect_one(count(*), 'session ' || $2::text) FROM w
            """;
    }
}
