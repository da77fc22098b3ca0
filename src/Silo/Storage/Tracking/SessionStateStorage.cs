using System.Collections.Immutable;
using Hourdini.Grains.Common;
using Hourdini.Grains.Sessions;
using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Silo.Storage.Tracking;

/// <summary>
/// A session grain's state: its sessions row (versioned) and its beats. Closed beats never change,
/// so a write touches only the beat that was open when last stored and the beats added since.
/// The agent's lease (<c>last_heard_at</c>) is also renewed outside turns, unversioned, so a write only moves it forward.
/// </summary>
public sealed class SessionStateStorage(NpgsqlDataSource dataSource)
{
    public async Task<(SessionState? State, long Version)> ReadAsync(string key, CancellationToken cancellationToken)
    {
        var (orgId, sessionId) = GrainKeys.Parse(key);
        return await Db.RunAsync<(SessionState?, long)>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var loaded = await ReadManyAsync(connection, orgId, [sessionId], cancellationToken);
            return loaded.Count == 0 ? (null, 0) : (loaded[0].State, loaded[0].Version);
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
                    AgentRate = reader.Get<decimal?>("agent_rate"),
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

    /// <summary>
    /// The statements that store <paramref name="state"/> if the row still has <paramref name="expectedVersion"/> (0: a
    /// new session), else fail (HD409). <paramref name="persisted"/> is the state as last stored, so only what changed is sent.
    /// </summary>
    public NpgsqlBatchCommand[] Write(SessionState state, SessionState? persisted, long expectedVersion)
    {
        var commands = new List<NpgsqlBatchCommand>();
        if (expectedVersion == 0)
        {
            var insert = Db.Command(
                InsertText, state.OrgId, state.Id, state.UserId, Db.Nullable(state.AgentId, NpgsqlDbType.Uuid), state.ProjectId,
                state.BillAgentTime, state.Rate, state.Currency, state.StartedAt, Db.Nullable(state.AgentRate, NpgsqlDbType.Numeric));
            foreach (var column in Columns)
            {
                insert.Parameters.Add(column.Parameter(state));
            }

            commands.Add(insert);
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

        return [.. commands];
    }

    /// <summary>A column of the row that a turn can change: how a change shows, what it sends, how the update sets it.</summary>
    private sealed record Column(
        string Name, Func<SessionState, SessionState, bool> Differs, Func<SessionState, NpgsqlParameter> Parameter, string Set = "{0} = {1}");

    /// <summary>The row's columns a turn can change; the insert sends them all, an update those that changed.</summary>
    private static readonly Column[] Columns =
    [
        new("description", (a, b) => a.Description != b.Description, s => Db.Parameter(s.Description)),
        new("status", (a, b) => a.Status != b.Status, s => Db.Parameter(s.Status)),
        new("stopped_at", (a, b) => a.StoppedAt != b.StoppedAt, s => Db.Nullable(s.StoppedAt, NpgsqlDbType.TimestampTz)),
        new("entry_id", (a, b) => a.EntryId != b.EntryId, s => Db.Nullable(s.EntryId, NpgsqlDbType.Uuid)),
        new("metadata", (a, b) => a.Metadata != b.Metadata, s => Db.Jsonb(s.Metadata)),
        new("events_count", (a, b) => a.EventsCount != b.EventsCount, s => Db.Parameter(s.EventsCount)),
        new("tasks_worked_on", (a, b) => Differ(a.TasksWorkedOn, b.TasksWorkedOn), s => Db.Parameter(s.TasksWorkedOn.ToArray())),
        new("tasks_completed", (a, b) => Differ(a.TasksCompleted, b.TasksCompleted), s => Db.Parameter(s.TasksCompleted.ToArray())),
        new("logs_count", (a, b) => a.LogsCount != b.LogsCount, s => Db.Parameter(s.LogsCount)),

        // R15: heartbeats renew the lease outside turns, so a write never moves it back.
        new("last_heard_at", (a, b) => a.LastHeardAt != b.LastHeardAt, s => Db.Nullable(s.LastHeardAt, NpgsqlDbType.TimestampTz),
            "{0} = greatest({0}, {1})"),
    ];

    private static readonly string InsertText = $"""
        INSERT INTO sessions (org_id, id, user_id, agent_id, project_id, bill_agent_time, rate, currency, started_at, agent_rate, version,
            {string.Join(", ", Columns.Select(c => c.Name))})
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, {string.Join(", ", Columns.Select((_, i) => $"${11 + i}"))})
        """;

    /// <summary>One statement text per set of changed columns, made the first time that set is written.</summary>
    private static readonly string?[] UpdateTexts = new string?[1 << Columns.Length];

    private static bool Differ(ImmutableList<Guid> a, ImmutableList<Guid> b) => !ReferenceEquals(a, b) && !a.SequenceEqual(b);

    /// <summary>
    /// The columns that differ from the state as last stored, one bit each; a write sends only those (one with no stored
    /// state to compare against sends all). A log changes three or four of the ten, and the rest were sent on every write
    /// (issue 6: parameters were the gateway's largest allocation, docs/BENCHMARKS.md). The version in the WHERE clause
    /// makes this safe: the row still holds exactly <paramref name="persisted"/> or the write fails.
    /// </summary>
    private static int Changed(SessionState state, SessionState persisted)
    {
        var changed = 0;
        for (var column = 0; column < Columns.Length; column++)
        {
            if (Columns[column].Differs(state, persisted))
            {
                changed |= 1 << column;
            }
        }

        return changed;
    }

    /// <summary>Bumps the version (every write does, issue 7) and sets the columns in <paramref name="changed"/>.</summary>
    private static NpgsqlBatchCommand Update(SessionState state, long expectedVersion, int changed)
    {
        var command = Db.Command(UpdateTexts[changed] ??= UpdateText(changed), state.OrgId, state.Id, expectedVersion + 1);
        for (var column = 0; column < Columns.Length; column++)
        {
            if ((changed & (1 << column)) != 0)
            {
                command.Parameters.Add(Columns[column].Parameter(state));
            }
        }

        return command;
    }

    private static string UpdateText(int changed)
    {
        var set = new List<string> { "version = $3" };
        for (var column = 0; column < Columns.Length; column++)
        {
            if ((changed & (1 << column)) != 0)
            {
                set.Add(string.Format(System.Globalization.CultureInfo.InvariantCulture, Columns[column].Set, Columns[column].Name, $"${set.Count + 3}"));
            }
        }

        return $"""
            WITH w AS (
                UPDATE sessions SET {string.Join(", ", set)}
                WHERE org_id = $1 AND id = $2 AND version = $3 - 1
                RETURNING 1)
            SELECT hd_expect_one(count(*), 'session ' || $2::text) FROM w
            """;
    }
}
