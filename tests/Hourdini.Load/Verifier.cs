using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Load;

/// <summary>One finding of the verification: what was checked and how many rows broke it (0 is good).</summary>
public sealed record Check(string Name, long Violations);

/// <summary>
/// After a run: every acknowledged operation is in PostgreSQL, and the core rules hold over the
/// orgs the run created (PRODUCT.md R3, R6, R7, R8, R13).
/// </summary>
public static class Verifier
{
    public static async Task<IReadOnlyList<Check>> VerifyAsync(string connectionString, Ledger ledger, CancellationToken ct)
    {
        // Unpooled: a pooled connection may have been cut by a database restart (the fault scenarios).
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        // A fault scenario may still be restarting the database when the load stops: wait for it (30 s at most).
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await connection.OpenAsync(ct);
                break;
            }
            catch (NpgsqlException) when (attempt < 60)
            {
                await Task.Delay(500, ct);
            }
        }

        await LoadLedgerAsync(connection, ledger, ct);

        var checks = new List<Check>();
        foreach (var (name, sql) in Queries)
        {
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
            checks.Add(new Check(name, (long)(await command.ExecuteScalarAsync(ct))!));
        }

        // HOURDINI_VERIFY_KEEP=1 keeps the ledger as kept_ack_* tables, to look into a failed check afterwards.
        if (Environment.GetEnvironmentVariable("HOURDINI_VERIFY_KEEP") == "1")
        {
            var tables = new[] { "orgs", "started", "ended", "logs", "beats", "timer_entries" };
            await using var keep = new NpgsqlCommand(
                string.Concat(tables.Select(t => $"DROP TABLE IF EXISTS kept_ack_{t}; CREATE TABLE kept_ack_{t} AS TABLE ack_{t};")), connection);
            await keep.ExecuteNonQueryAsync(ct);
        }

        return checks;
    }

    /// <summary>Each check counts the rows that break it.</summary>
    private static readonly (string Name, string Sql)[] Queries =
    [
        ("acknowledged session starts are stored",
            "SELECT count(*) FROM ack_started a WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = a.id)"),
        ("acknowledged ends: session stopped with the entry it answered (R6)",
            """
            SELECT count(*) FROM ack_ended a WHERE NOT EXISTS (
                SELECT 1 FROM sessions s WHERE s.id = a.id AND s.stopped_at IS NOT NULL
                  AND s.entry_id IS NOT DISTINCT FROM a.entry
                  AND (a.entry IS NULL OR EXISTS (
                      SELECT 1 FROM time_entries e WHERE e.org_id = s.org_id AND e.id = a.entry AND e.session_id = a.id)))
            """),
        ("acknowledged logs are in the timeline with their number and text (R13)",
            """
            SELECT count(*) FROM ack_logs a WHERE NOT EXISTS (
                SELECT 1 FROM sessions s JOIN session_events e ON e.org_id = s.org_id AND e.session_id = s.id
                WHERE s.org_id IN (SELECT id FROM ack_orgs) AND s.id = a.session
                  AND e.seq = a.seq AND e.type = 'log' AND e.data->>'message' = a.message)
            """),
        ("acknowledged beats are stored with their kind and start",
            """
            SELECT count(*) FROM ack_beats a WHERE NOT EXISTS (
                SELECT 1 FROM sessions s JOIN beats b ON b.org_id = s.org_id AND b.session_id = s.id
                WHERE s.org_id IN (SELECT id FROM ack_orgs) AND s.id = a.session AND b.kind = a.kind AND b.started_at = a.since)
            """),
        ("acknowledged timer stops wrote their entry (R17)",
            "SELECT count(*) FROM ack_timer_entries a WHERE NOT EXISTS (SELECT 1 FROM time_entries e WHERE e.id = a.id AND e.source = 'timer')"),
        ("no two active beats of one user overlap (R3)",
            """
            SELECT count(*) FROM beats a JOIN beats b
              ON a.org_id = b.org_id AND a.user_id = b.user_id AND (a.session_id, a.seq) < (b.session_id, b.seq)
             AND tstzrange(a.started_at, a.ended_at, '[)') && tstzrange(b.started_at, b.ended_at, '[)')
            WHERE a.kind = 'active' AND b.kind = 'active' AND a.org_id IN (SELECT id FROM ack_orgs)
            """),
        ("beats tile each session: contiguous, only the last open, closed at the stop (R1, R7)",
            """
            SELECT count(*) FROM (
                SELECT s.id, s.stopped_at, b.seq, b.started_at, b.ended_at,
                       lead(b.started_at) OVER w AS next_start, lead(b.seq) OVER w AS next_seq, s.started_at AS session_start
                FROM sessions s JOIN beats b ON b.org_id = s.org_id AND b.session_id = s.id
                WHERE s.org_id IN (SELECT id FROM ack_orgs)
                WINDOW w AS (PARTITION BY s.id ORDER BY b.seq)) t
            WHERE (seq = 0 AND started_at <> session_start)
               OR (next_seq IS NOT NULL AND (next_seq <> seq + 1 OR ended_at IS DISTINCT FROM next_start))
               OR (next_seq IS NULL AND ended_at IS DISTINCT FROM stopped_at)
            """),
        ("every session has its beats",
            """
            SELECT count(*) FROM sessions s WHERE s.org_id IN (SELECT id FROM ack_orgs)
              AND NOT EXISTS (SELECT 1 FROM beats b WHERE b.org_id = s.org_id AND b.session_id = s.id AND b.seq = 0)
            """),
        ("a stopped session's entry bills active time, plus agent time when the project said so (R5, R6)",
            """
            SELECT count(*) FROM sessions s
            LEFT JOIN time_entries e ON e.org_id = s.org_id AND e.session_id = s.id
            LEFT JOIN LATERAL (
                SELECT coalesce(sum(CASE WHEN b.kind = 'active' OR (b.kind = 'agent' AND s.bill_agent_time)
                    THEN floor(extract(epoch FROM b.ended_at - b.started_at) * 1000) END), 0) AS ms
                FROM beats b WHERE b.org_id = s.org_id AND b.session_id = s.id) t ON true
            WHERE s.org_id IN (SELECT id FROM ack_orgs) AND s.stopped_at IS NOT NULL
              AND ((e.id IS NULL) <> (s.entry_id IS NULL)
                   OR (e.id IS NULL AND floor(t.ms / 1000) > 0)
                   OR (e.id IS NOT NULL AND (e.id <> s.entry_id OR e.duration_seconds <> floor(t.ms / 1000))))
            """),
        ("an open session has no entry; at most one open session per agent (R8)",
            """
            SELECT (SELECT count(*) FROM sessions s WHERE s.org_id IN (SELECT id FROM ack_orgs) AND s.stopped_at IS NULL
                      AND (s.entry_id IS NOT NULL OR EXISTS (SELECT 1 FROM time_entries e WHERE e.org_id = s.org_id AND e.session_id = s.id)))
                 + (SELECT count(*) FROM (SELECT agent_id FROM sessions WHERE org_id IN (SELECT id FROM ack_orgs)
                      AND agent_id IS NOT NULL AND stopped_at IS NULL GROUP BY org_id, agent_id HAVING count(*) > 1) x)
            """),
        ("a running timer and an active beat never overlap (R3)",
            """
            SELECT count(*) FROM time_entries e JOIN beats b
              ON b.org_id = e.org_id AND b.user_id = e.user_id AND b.kind = 'active'
             AND tstzrange(e.started_at, e.ended_at, '[)') && tstzrange(b.started_at, b.ended_at, '[)')
            WHERE e.source = 'timer' AND e.org_id IN (SELECT id FROM ack_orgs)
            """),
        ("the focus (the open active beat) is in an open session and never beside a running timer (R2, R3)",
            """
            SELECT count(*) FROM beats b JOIN sessions s ON s.org_id = b.org_id AND s.id = b.session_id
            WHERE b.org_id IN (SELECT id FROM ack_orgs) AND b.kind = 'active' AND b.ended_at IS NULL
              AND (s.stopped_at IS NOT NULL OR EXISTS (
                   SELECT 1 FROM user_tracking u WHERE u.org_id = b.org_id AND u.user_id = b.user_id AND u.timer_started_at IS NOT NULL))
            """),
    ];

    private static async Task LoadLedgerAsync(NpgsqlConnection connection, Ledger ledger, CancellationToken ct)
    {
        await using (var create = new NpgsqlCommand(
            """
            CREATE TEMP TABLE ack_orgs (id uuid PRIMARY KEY);
            CREATE TEMP TABLE ack_started (id uuid);
            CREATE TEMP TABLE ack_ended (id uuid, entry uuid);
            CREATE TEMP TABLE ack_logs (session uuid, seq int, message text);
            CREATE TEMP TABLE ack_beats (session uuid, kind text, since timestamptz);
            CREATE TEMP TABLE ack_timer_entries (id uuid);
            """, connection))
        {
            await create.ExecuteNonQueryAsync(ct);
        }

        await CopyAsync(connection, "ack_orgs (id)", ledger.Orgs.Distinct(), (w, id) => w.Write(id, NpgsqlDbType.Uuid), ct);
        await CopyAsync(connection, "ack_started (id)", ledger.StartedSessions, (w, id) => w.Write(id, NpgsqlDbType.Uuid), ct);
        await CopyAsync(connection, "ack_ended (id, entry)", ledger.EndedSessions, (w, e) =>
        {
            w.Write(e.Session, NpgsqlDbType.Uuid);
            if (e.Entry is { } entry)
            {
                w.Write(entry, NpgsqlDbType.Uuid);
            }
            else
            {
                w.WriteNull();
            }
        }, ct);
        await CopyAsync(connection, "ack_logs (session, seq, message)", ledger.Logs, (w, l) =>
        {
            w.Write(l.Session, NpgsqlDbType.Uuid);
            w.Write(l.Seq, NpgsqlDbType.Integer);
            w.Write(l.Message, NpgsqlDbType.Text);
        }, ct);
        await CopyAsync(connection, "ack_beats (session, kind, since)", ledger.Beats, (w, b) =>
        {
            w.Write(b.Session, NpgsqlDbType.Uuid);
            w.Write(b.Kind, NpgsqlDbType.Text);
            w.Write(b.Since, NpgsqlDbType.TimestampTz);
        }, ct);
        await CopyAsync(connection, "ack_timer_entries (id)", ledger.TimerEntries, (w, id) => w.Write(id, NpgsqlDbType.Uuid), ct);

        await using var analyze = new NpgsqlCommand(
            "CREATE INDEX ON ack_logs (session, seq); CREATE INDEX ON ack_beats (session); ANALYZE ack_orgs, ack_started, ack_ended, ack_logs, ack_beats, ack_timer_entries",
            connection);
        await analyze.ExecuteNonQueryAsync(ct);
    }

    private static async Task CopyAsync<T>(
        NpgsqlConnection connection, string table, IEnumerable<T> rows, Action<NpgsqlBinaryImporter, T> write, CancellationToken ct)
    {
        await using var importer = await connection.BeginBinaryImportAsync($"COPY {table} FROM STDIN (FORMAT BINARY)", ct);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(ct);
            write(importer, row);
        }

        await importer.CompleteAsync(ct);
    }
}
