using Hourdini.Grains.Common;
using Hourdini.Grains.Sessions;
using Hourdini.Grains.Users;
using Hourdini.Silo.Storage;
using Hourdini.Silo.Storage.Tracking;
using Hourdini.Testing;
using Npgsql;
using Orleans.Storage;

namespace Hourdini.Silo.Tests;

/// <summary>
/// The database holds the rules on its own (DESIGN.md, consistency): a bug or a second node cannot
/// break them silently. These write rows directly, bypassing the grains.
/// </summary>
public class StorageBackstopTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);
    private readonly Guid _org = Guid.NewGuid();
    private readonly Guid _user = Guid.NewGuid();
    private readonly Guid _project = Guid.NewGuid();
    private NpgsqlDataSource _db = null!;
    private string _connectionString = null!;

    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        _connectionString = await cluster.CreateDatabaseAsync();
        _db = NpgsqlDataSource.Create(_connectionString);
        await new Migrator(_db).MigrateAsync(default);
        var client = Guid.NewGuid();
        await ExecAsync(
            """
            INSERT INTO orgs (id, name, created_at) VALUES ($1, 'o', now());
            """, _org);
        await ExecAsync("INSERT INTO users (id, email, email_key, password_hash, name, created_at) VALUES ($1, 'u@x', 'u@x', 'h', 'u', now())", _user);
        await ExecAsync("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, 'owner', now())", _org, _user);
        await ExecAsync("INSERT INTO clients (org_id, id, name, currency, default_rate, color, created_at) VALUES ($1, $2, 'c', 'EUR', 10, '#000000', now())", _org, client);
        await ExecAsync("INSERT INTO projects (org_id, id, client_id, name, created_at) VALUES ($1, $2, $3, 'p', now())", _org, _project, client);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Migrations_apply_once_and_report_the_schema_current()
    {
        await new Migrator(_db).MigrateAsync(default);

        Assert.True(await new Migrator(_db).IsCurrentAsync(default));
    }

    [Fact]
    public async Task A_user_cannot_hold_two_open_active_beats() // R3
    {
        var s1 = await SessionAsync();
        var s2 = await SessionAsync();
        await BeatAsync(s1, 0, "active", T0, null);

        var error = await Assert.ThrowsAsync<PostgresException>(() => BeatAsync(s2, 0, "active", T0.AddSeconds(5), null));
        Assert.Contains(error.SqlState, new[] { PostgresErrorCodes.UniqueViolation, PostgresErrorCodes.ExclusionViolation });
    }

    [Fact]
    public async Task Active_intervals_of_one_user_never_overlap() // R3
    {
        var s1 = await SessionAsync();
        var s2 = await SessionAsync();
        await BeatAsync(s1, 0, "active", T0, T0.AddSeconds(10));

        var error = await Assert.ThrowsAsync<PostgresException>(() => BeatAsync(s2, 0, "active", T0.AddSeconds(9), T0.AddSeconds(20)));
        Assert.Equal(PostgresErrorCodes.ExclusionViolation, error.SqlState);

        await BeatAsync(s2, 0, "active", T0.AddSeconds(10), T0.AddSeconds(20)); // touching is fine
        await BeatAsync(s2, 1, "agent", T0.AddSeconds(20), null); // R4: agent beats are not exclusive
        await BeatAsync(s1, 1, "agent", T0.AddSeconds(10), null);
    }

    [Fact]
    public async Task A_running_timer_and_an_open_active_beat_never_stand_together() // R3, issue 23
    {
        var storage = new UserStateStorage(_db);
        var backend = new PostgresStorage(_db, new GroupCommitOptions());
        var key = GrainKeys.For(_org, _user);
        var timer = new UserState { Timer = new RunningTimer(Guid.NewGuid(), _project, "t", [], T0, 10, "EUR") };
        await CommitAsync(backend, turn => turn.AddRange(storage.Write(key, timer, expectedVersion: 0)));

        // A session cannot be promoted while the timer runs ...
        var session = await SessionAsync();
        var beside = await Assert.ThrowsAsync<PostgresException>(() => BeatAsync(session, 0, "active", T0.AddSeconds(5), null));
        Assert.Equal("HD409", beside.SqlState);
        await BeatAsync(session, 0, "idle", T0.AddSeconds(5), null); // idle and agent beats do not compete with the timer

        // ... and once the timer is stopped it can; then no timer can start beside it.
        await CommitAsync(backend, turn => turn.AddRange(storage.Write(key, new UserState(), expectedVersion: 1)));
        var other = await SessionAsync();
        await BeatAsync(other, 0, "active", T0.AddSeconds(6), null);
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            CommitAsync(backend, turn => turn.AddRange(storage.Write(key, timer, expectedVersion: 2))));
        Assert.Null((await storage.ReadAsync(key, default)).State!.Timer);
    }

    [Fact]
    public async Task A_timer_started_while_an_active_beat_is_being_written_waits_for_it_and_is_refused() // R3, issue 23
    {
        var session = await SessionAsync();
        await ExecAsync("INSERT INTO user_tracking (org_id, user_id, version) VALUES ($1, $2, 1)", _org, _user);

        // One transaction promotes a session and has not committed yet ...
        await using var promote = await _db.OpenConnectionAsync();
        await using var promoting = await promote.BeginTransactionAsync();
        await using (var beat = new NpgsqlCommand(
            "INSERT INTO beats (org_id, session_id, seq, user_id, kind, started_at) VALUES ($1, $2, 0, $3, 'active', $4)", promote, promoting))
        {
            beat.Parameters.Add(Db.Parameter(_org));
            beat.Parameters.Add(Db.Parameter(session));
            beat.Parameters.Add(Db.Parameter(_user));
            beat.Parameters.Add(Db.Parameter(T0));
            await beat.ExecuteNonQueryAsync();
        }

        // ... while another starts the timer: it must wait for the first and then see its beat, not run beside it.
        var timer = ExecAsync("UPDATE user_tracking SET version = 2, timer_started_at = $3 WHERE org_id = $1 AND user_id = $2", _org, _user, T0);
        await Task.Delay(300);
        Assert.False(timer.IsCompleted, "the timer's write went ahead without waiting for the active beat being written");
        await promoting.CommitAsync();

        var refused = await Assert.ThrowsAsync<PostgresException>(() => timer);
        Assert.Equal("HD409", refused.SqlState);
    }

    [Fact]
    public async Task The_users_focus_is_read_from_the_open_active_beat_not_kept_twice() // R3, issue 23
    {
        var storage = new UserStateStorage(_db);
        var key = GrainKeys.For(_org, _user);
        Assert.Null((await storage.ReadAsync(key, default)).State);

        var session = await SessionAsync();
        await BeatAsync(session, 0, "active", T0, null);
        Assert.Equal(session, (await storage.ReadAsync(key, default)).State!.FocusedSessionId);

        await ExecAsync("UPDATE beats SET ended_at = $3 WHERE org_id = $1 AND session_id = $2", _org, session, T0.AddSeconds(5));
        Assert.Null((await storage.ReadAsync(key, default)).State?.FocusedSessionId);
    }

    [Fact]
    public async Task A_stopped_session_its_beats_and_its_record_cannot_change() // R7
    {
        var session = await SessionAsync();
        await BeatAsync(session, 0, "active", T0, T0.AddSeconds(5));
        await ExecAsync("UPDATE sessions SET status = 'stopped', stopped_at = $3 WHERE org_id = $1 AND id = $2", _org, session, T0.AddSeconds(5));

        await AssertStoppedAsync(ExecAsync("UPDATE sessions SET description = 'rewritten' WHERE org_id = $1 AND id = $2", _org, session));
        await AssertStoppedAsync(ExecAsync("DELETE FROM sessions WHERE org_id = $1 AND id = $2", _org, session));
        await AssertStoppedAsync(ExecAsync("UPDATE beats SET kind = 'idle' WHERE org_id = $1 AND session_id = $2", _org, session));
        await AssertStoppedAsync(ExecAsync("DELETE FROM beats WHERE org_id = $1 AND session_id = $2", _org, session));
        await AssertStoppedAsync(BeatAsync(session, 1, "idle", T0.AddSeconds(5), null));
    }

    [Fact]
    public async Task A_session_has_at_most_one_entry() // R6
    {
        var session = await SessionAsync();
        await EntryAsync(session);

        var error = await Assert.ThrowsAsync<PostgresException>(() => EntryAsync(session));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
    }

    [Fact]
    public async Task An_agent_has_at_most_one_open_session() // R8
    {
        var agent = Guid.NewGuid();
        await ExecAsync("INSERT INTO agents (org_id, id, user_id, name, status, secret_hash, created_at) VALUES ($1, $2, $3, 'a', 'active', $4, now())",
            _org, agent, _user, Guid.NewGuid().ToByteArray());
        var first = await SessionAsync();
        await ExecAsync("UPDATE sessions SET agent_id = $3 WHERE org_id = $1 AND id = $2", _org, first, agent);
        var second = await SessionAsync();

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            ExecAsync("UPDATE sessions SET agent_id = $3 WHERE org_id = $1 AND id = $2", _org, second, agent));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
    }

    [Fact]
    public async Task A_timeline_is_append_only_and_closed_once_its_session_stops() // R7, R13
    {
        var session = await SessionAsync();
        await EventAsync(session, 1);

        await AssertStoppedAsync(ExecAsync("UPDATE session_events SET type = 'forged' WHERE session_id = $1", session));
        await AssertStoppedAsync(ExecAsync("DELETE FROM session_events WHERE session_id = $1", session));
        await ExecAsync("UPDATE sessions SET status = 'stopped', stopped_at = $3 WHERE org_id = $1 AND id = $2", _org, session, T0.AddSeconds(5));
        await AssertStoppedAsync(EventAsync(session, 2));
    }

    [Fact]
    public async Task A_write_against_a_stale_version_is_refused_as_inconsistent_state()
    {
        var storage = new UserStateStorage(_db);
        var backend = new PostgresStorage(_db, new GroupCommitOptions());
        var key = GrainKeys.For(_org, _user);

        await CommitAsync(backend, turn => turn.AddRange(storage.Write(key, new UserState(), expectedVersion: 0)));
        await CommitAsync(backend, turn => turn.AddRange(storage.Write(key, new UserState(), expectedVersion: 1)));

        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            CommitAsync(backend, turn => turn.AddRange(storage.Write(key, new UserState(), expectedVersion: 1))));
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            CommitAsync(backend, turn => turn.AddRange(storage.Write(key, new UserState(), expectedVersion: 0))));
        Assert.Equal(2, (await storage.ReadAsync(key, default)).Version);
    }

    [Fact]
    public async Task A_turn_commits_whole_or_not_at_all_in_one_round_trip()
    {
        var storage = new UserStateStorage(_db);
        var backend = new PostgresStorage(_db, new GroupCommitOptions());
        var key = GrainKeys.For(_org, _user);

        // The user row is staged first, then a write that fails: the batch's one implicit transaction rolls both back.
        await Assert.ThrowsAsync<InconsistentStateException>(() => CommitAsync(backend, turn =>
        {
            turn.AddRange(storage.Write(key, new UserState(), expectedVersion: 0));
            turn.Add(Db.Command("SELECT hd_expect_one(0, 'forced')"));
        }));

        Assert.Null((await storage.ReadAsync(key, default)).State);
    }

    [Fact]
    public async Task Turns_committed_together_stand_or_fall_alone() // issue 6: group commit
    {
        var storage = new UserStateStorage(_db);
        var backend = new PostgresStorage(_db, new GroupCommitOptions { MaxInFlight = 1, MaxTurnsPerGroup = 64 });
        var users = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            var user = Guid.NewGuid();
            await ExecAsync("INSERT INTO users (id, email, email_key, password_hash, name, created_at) VALUES ($1, $2, $2, 'h', 'u', now())", user, $"{user}@x");
            await ExecAsync("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, 'member', now())", _org, user);
            users.Add(user);
        }

        // While one slow transaction is in flight, the next turns queue and then commit as one group,
        // in which one turn is stale: only that one fails.
        var slow = CommitAsync(backend, turn => turn.Add(Db.Command("SELECT pg_sleep(0.3)")));
        var turns = users.Select((user, i) => CommitAsync(backend, turn =>
            turn.AddRange(storage.Write(GrainKeys.For(_org, user), new UserState(), expectedVersion: i == 3 ? 7 : 0)))).ToList();
        await slow;

        for (var i = 0; i < turns.Count; i++)
        {
            if (i == 3)
            {
                await Assert.ThrowsAsync<InconsistentStateException>(() => turns[i]);
                Assert.Null((await storage.ReadAsync(GrainKeys.For(_org, users[i]), default)).State);
            }
            else
            {
                await turns[i];
                Assert.Equal(1, (await storage.ReadAsync(GrainKeys.For(_org, users[i]), default)).Version);
            }
        }
    }

    [Fact]
    public async Task A_session_write_stores_every_change_whichever_columns_it_sends() // issue 6: only changed columns are sent
    {
        var storage = new SessionStateStorage(_db);
        var backend = new PostgresStorage(_db, new GroupCommitOptions());
        var id = Guid.NewGuid();
        var task = Guid.NewGuid();
        var started = new SessionState
        {
            Id = id,
            OrgId = _org,
            UserId = _user,
            ProjectId = _project,
            Description = "draft",
            Status = SessionStatus.Started,
            Rate = 10,
            Currency = "EUR",
            StartedAt = T0,
            Beats = Timeline.Start(BeatKind.Agent, T0),
            EventsCount = 1,
            LastHeardAt = T0,
        };
        var logged = started with { Status = SessionStatus.Logging, EventsCount = 2, LogsCount = 1, LastHeardAt = T0.AddSeconds(5) };
        var onTask = logged with { EventsCount = 3, TasksWorkedOn = [task] };
        var renamed = onTask with { Description = "final", Metadata = """{"pull_summary": "3 tasks"}""" };
        var idled = renamed with { Beats = Timeline.Switch(renamed.Beats, BeatKind.Idle, T0.AddSeconds(30)), EventsCount = 4, TasksCompleted = [task] };
        var stopped = idled with
        {
            Beats = Timeline.Close(idled.Beats, T0.AddSeconds(60)),
            StoppedAt = T0.AddSeconds(60),
            Status = SessionStatus.Stopped,
            EntryId = Guid.NewGuid(),
            EventsCount = 5,
        };

        SessionState? persisted = null;
        foreach (var (state, version) in new[] { started, logged, onTask, renamed, idled, stopped }.Select((state, i) => (state, i)))
        {
            await CommitAsync(backend, turn => turn.AddRange(storage.Write(state, persisted, version)));
            persisted = state;

            var stored = await storage.ReadAsync(GrainKeys.For(_org, id), default);
            Assert.Equal(version + 1, stored.Version);
            Assert.Equal(Row(state), Row(stored.State!));
        }

        static string Row(SessionState s) => string.Join(
            " | ", s.Description, s.Status, s.StoppedAt, s.EntryId, s.Metadata, s.EventsCount, string.Join(",", s.TasksWorkedOn),
            string.Join(",", s.TasksCompleted), s.LogsCount, s.LastHeardAt, string.Join(",", s.Beats));
    }

    [Fact]
    public async Task A_session_write_never_moves_the_agents_lease_back() // R15
    {
        var storage = new SessionStateStorage(_db);
        var backend = new PostgresStorage(_db, new GroupCommitOptions());
        var session = await SessionAsync();
        var key = GrainKeys.For(_org, session);
        var read = (await storage.ReadAsync(key, default)).State!;
        await ExecAsync("UPDATE sessions SET last_heard_at = $3 WHERE org_id = $1 AND id = $2", _org, session, T0.AddMinutes(2)); // a heartbeat

        await CommitAsync(backend, turn => turn.AddRange(storage.Write(read with { LastHeardAt = T0.AddMinutes(1), EventsCount = 1 }, read, 1)));

        Assert.Equal(T0.AddMinutes(2), (await storage.ReadAsync(key, default)).State!.LastHeardAt);
    }

    [Fact]
    public async Task A_committed_turn_leaves_none_of_its_writes_reachable() // issue 6: what survives a collection
    {
        // A pooled connection keeps its last batch reachable until it is used again. Were a group's commands and
        // parameters left in it, every collection would promote the last group of every pooled connection.
        // Pooled as the nodes pool: connections are not reset on return (the tests' own connections are not pooled).
        await using var pool = SiloExtensions.CreateDataSource(new NpgsqlConnectionStringBuilder(_connectionString) { Pooling = true }.ConnectionString);
        var backend = new PostgresStorage(pool, new GroupCommitOptions());
        var written = await CommitUnreferencedAsync(backend);

        // The committer lets go of its group right after answering it: allow it that moment.
        for (var attempt = 0; attempt < 50 && written.IsAlive; attempt++)
        {
            await Task.Delay(20);
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(written.IsAlive, "a committed turn's parameter is still reachable");
    }

    /// <summary>Commits a turn that nothing of this test holds on to; returns a weak handle on one of its parameters.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> CommitUnreferencedAsync(PostgresStorage backend)
    {
        var parameter = Db.Parameter(42L);
        var handle = new WeakReference(parameter);
        var command = new NpgsqlBatchCommand("SELECT $1::bigint");
        command.Parameters.Add(parameter);
        await CommitAsync(backend, turn => turn.Add(command));
        return handle;
    }

    /// <summary>Commits the statements <paramref name="stage"/> adds as one write, as a grain's write does.</summary>
    private static async Task CommitAsync(PostgresStorage backend, Action<List<NpgsqlBatchCommand>> stage)
    {
        var commands = new List<NpgsqlBatchCommand>();
        stage(commands);
        await backend.CommitAsync([new PgWrite([.. commands])], default);
    }

    private static async Task AssertStoppedAsync(Task change)
    {
        var error = await Assert.ThrowsAsync<PostgresException>(() => change);
        Assert.Equal("HD407", error.SqlState);
    }

    [Fact]
    public async Task An_agents_lease_renewal_is_a_heap_only_update_that_touches_no_index() // R15, issue 6
    {
        // Renewals are the most frequent write of an agent fleet: with last_heard_at in no index, PostgreSQL
        // updates the row in place on its page (HOT) instead of adding an entry to every index of sessions.
        var session = await SessionAsync();
        await using var connection = await _db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var renew = new NpgsqlCommand("UPDATE sessions SET last_heard_at = $3 WHERE org_id = $1 AND id = $2", connection, transaction))
        {
            renew.Parameters.Add(Db.Parameter(_org));
            renew.Parameters.Add(Db.Parameter(session));
            renew.Parameters.Add(Db.Parameter(T0.AddMinutes(1)));
            Assert.Equal(1, await renew.ExecuteNonQueryAsync());
        }

        await using var hot = new NpgsqlCommand(
            "SELECT pg_stat_get_xact_tuples_hot_updated('sessions'::regclass), pg_stat_get_xact_tuples_updated('sessions'::regclass)",
            connection, transaction);
        await using var reader = await hot.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1L, reader.GetInt64(1));
        Assert.Equal(1L, reader.GetInt64(0));
    }

    private async Task<Guid> SessionAsync()
    {
        var id = Guid.NewGuid();
        await ExecAsync(
            """
            INSERT INTO sessions (org_id, id, user_id, project_id, description, status, bill_agent_time, rate, currency, started_at, version)
            VALUES ($1, $2, $3, $4, '', 'started', false, 10, 'EUR', $5, 1)
            """, _org, id, _user, _project, T0);
        return id;
    }

    private Task BeatAsync(Guid session, int seq, string kind, DateTimeOffset start, DateTimeOffset? end) => ExecAsync(
        "INSERT INTO beats (org_id, session_id, seq, user_id, kind, started_at, ended_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        _org, session, seq, _user, kind, start, Db.Nullable(end, NpgsqlTypes.NpgsqlDbType.TimestampTz));

    private Task EventAsync(Guid session, int seq) => ExecAsync(
        "INSERT INTO session_events (org_id, session_id, seq, type, at, data) VALUES ($1, $2, $3, 'log', $4, '{}')",
        _org, session, seq, T0);

    private Task EntryAsync(Guid session) => ExecAsync(
        """
        INSERT INTO time_entries (org_id, id, user_id, project_id, session_id, source, description, started_at, ended_at,
            duration_seconds, billable, rate, currency, created_at, updated_at, active_seconds)
        VALUES ($1, $2, $3, $4, $5, 'session', '', $6, $6, 0, true, 10, 'EUR', $6, $6, 0)
        """, _org, Guid.NewGuid(), _user, _project, session, T0);

    private async Task ExecAsync(string sql, params object?[] values)
    {
        await using var command = _db.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(Db.Parameter(value));
        }

        await command.ExecuteNonQueryAsync();
    }
}
