using Hourdini.Grains.Common;
using Hourdini.Grains.Entries;
using Hourdini.Silo.Storage.Tracking;
using Hourdini.Silo.Live;
using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Silo.Storage.Entries;

/// <param name="WrittenByAgent">Only the entries this agent's own sessions wrote (R22: what an agent token may list).</param>
public sealed record EntryFilter(
    DateTimeOffset? From,
    DateTimeOffset? To,
    Guid? ProjectId,
    string? Source,
    Cursor? After,
    int Limit,
    Guid? WrittenByAgent = null);

public sealed record EntryTotal(
    Guid ProjectId, string ProjectName, string Currency, long Seconds, long BillableSeconds, decimal Amount, long Entries);

/// <summary>A piece of work the user did lately: what "continue" starts again, and what pickers offer first.</summary>
public sealed record RecentWork(Guid ProjectId, string Description, IReadOnlyList<string> Tags, string Source, DateTimeOffset LastStartedAt);

/// <summary>Time entries: listing and manual backfill. Timer and session entries are written by the grains.</summary>
public sealed class EntryStore(NpgsqlDataSource dataSource, ChangeNotifier changes)
{
    /// <summary>
    /// Entries newest first. A member sees their own entries; a viewer (<paramref name="viewerId"/>) sees
    /// every entry on the clients granted to them.
    /// </summary>
    public Task<(IReadOnlyList<TimeEntry> Entries, Cursor? Next)> ListAsync(
        Guid orgId, Guid userId, Guid? viewerId, EntryFilter filter, CancellationToken ct) =>
        Db.RunAsync<(IReadOnlyList<TimeEntry>, Cursor?)>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync(
                """
                SELECT e.* FROM time_entries e
                WHERE e.org_id = $1
                  AND (CASE WHEN $2::uuid IS NULL THEN e.user_id = $3
                       ELSE EXISTS (SELECT 1 FROM projects p JOIN client_grants g ON g.org_id = p.org_id AND g.client_id = p.client_id
                                    WHERE p.org_id = e.org_id AND p.id = e.project_id AND g.user_id = $2) END)
                  AND ($4::timestamptz IS NULL OR e.ended_at > $4)
                  AND ($5::timestamptz IS NULL OR e.started_at < $5)
                  AND ($6::uuid IS NULL OR e.project_id = $6)
                  AND ($7::text IS NULL OR e.source = $7)
                  AND ($8::timestamptz IS NULL OR (e.started_at, e.id) < ($8, $9))
                  AND ($11::uuid IS NULL OR (e.agent_id = $11 AND e.session_id IS NOT NULL))
                ORDER BY e.started_at DESC, e.id DESC
                LIMIT $10
                """,
                ct, orgId, Db.Nullable(viewerId, NpgsqlDbType.Uuid), userId,
                Db.Nullable(filter.From, NpgsqlDbType.TimestampTz), Db.Nullable(filter.To, NpgsqlDbType.TimestampTz),
                Db.Nullable(filter.ProjectId, NpgsqlDbType.Uuid), Db.Nullable(filter.Source, NpgsqlDbType.Text),
                Db.Nullable(filter.After?.At, NpgsqlDbType.TimestampTz), Db.Nullable(filter.After?.Id, NpgsqlDbType.Uuid),
                filter.Limit + 1, Db.Nullable(filter.WrittenByAgent, NpgsqlDbType.Uuid));
            var entries = new List<TimeEntry>();
            while (await reader.ReadAsync(ct))
            {
                entries.Add(Read(reader));
            }

            Cursor? next = null;
            if (entries.Count > filter.Limit)
            {
                entries.RemoveAt(entries.Count - 1);
                next = new Cursor(entries[^1].StartedAt, entries[^1].Id);
            }

            return (entries, next);
        });

    public Task<TimeEntry?> GetAsync(Guid orgId, Guid entryId, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync("SELECT * FROM time_entries WHERE org_id = $1 AND id = $2", ct, orgId, entryId);
            return await reader.ReadAsync(ct) ? Read(reader) : null;
        });

    /// <summary>
    /// Saves a new entry and returns it, or, when an entry with its id exists already, returns that one: ids of a keyed
    /// request derive from its key, so that is this request's own entry, created by a run that died before answering.
    /// </summary>
    public Task<TimeEntry> CreateAsync(TimeEntry entry, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                await using var batch = new NpgsqlBatch(connection) { BatchCommands = { TimeEntryLedger.Insert(entry) } };
                await batch.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException duplicate) when (duplicate is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "time_entries_pkey" })
            {
                return await GetAsync(entry.OrgId, entry.Id, ct) ?? throw new InvalidOperationException("An entry created by this request is gone.");
            }

            changes.Changed(entry.OrgId, entry.UserId);
            return entry;
        });

    /// <summary>
    /// Changes one of the user's own entries inside a row lock. <paramref name="change"/> sees the
    /// current entry and returns the new one (or throws a refusal).
    /// </summary>
    public Task<TimeEntry?> UpdateAsync(Guid orgId, Guid userId, Guid entryId, Func<TimeEntry, Task<TimeEntry>> change, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            TimeEntry current;
            await using (var reader = await connection.QueryAsync(
                "SELECT * FROM time_entries WHERE org_id = $1 AND id = $2 AND user_id = $3 FOR UPDATE", ct, orgId, entryId, userId))
            {
                if (!await reader.ReadAsync(ct))
                {
                    return null;
                }

                current = Read(reader);
            }

            if (current.InvoiceId is not null)
            {
                throw Invoiced();
            }

            var updated = await change(current);
            await using (var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    Db.Command(
                        """
                        UPDATE time_entries SET project_id = $3, description = $4, started_at = $5, ended_at = $6, duration_seconds = $7,
                            billable = $8, rate = $9, currency = $10, tags = $11, updated_at = now(),
                            active_seconds = $12, agent_seconds = $13, idle_seconds = $14, agent_billed = $15,
                            original_duration_seconds = $16, corrected_at = $17
                        WHERE org_id = $1 AND id = $2
                        """,
                        orgId, entryId, updated.ProjectId, updated.Description, updated.StartedAt, updated.EndedAt, updated.DurationSeconds,
                        updated.Billable, updated.Rate, updated.Currency, updated.Tags.ToArray(), updated.SplitOrHandsOn.ActiveSeconds,
                        updated.SplitOrHandsOn.AgentSeconds, updated.SplitOrHandsOn.IdleSeconds, updated.SplitOrHandsOn.AgentBilled,
                        Db.Nullable(updated.OriginalDurationSeconds, NpgsqlDbType.Bigint), Db.Nullable(updated.CorrectedAt, NpgsqlDbType.TimestampTz)),
                },
            })
            {
                // R27: a correction of a session's entry is recorded in the org's audit trail, in the same transaction.
                if (updated.CorrectedAt is { } correctedAt && updated.CorrectedAt != current.CorrectedAt)
                {
                    batch.BatchCommands.Add(Db.Command(
                        "INSERT INTO audit_events (org_id, id, at, actor_user_id, type, subject_id, data) VALUES ($1, $2, $3, $4, 'entry_corrected', $5, $6)",
                        orgId, Guid.CreateVersion7(correctedAt), correctedAt, userId, entryId, Db.Jsonb(Correction(current, updated))));
                }

                try
                {
                    await batch.ExecuteNonQueryAsync(ct);
                }
                catch (PostgresException locked) when (locked.SqlState == InvoicedState)
                {
                    throw Invoiced();
                }
            }

            await transaction.CommitAsync(ct);
            changes.Changed(orgId, userId);
            return updated;
        });

    /// <summary>What a correction changed, field by field (from, to), as the audit trail keeps it.</summary>
    private static string Correction(TimeEntry before, TimeEntry after)
    {
        var changes = new Dictionary<string, object>();
        void Compare<T>(string field, T from, T to)
        {
            if (!EqualityComparer<T>.Default.Equals(from, to))
            {
                changes[field] = new { from, to };
            }
        }

        Compare("description", before.Description, after.Description);
        Compare("billable", before.Billable, after.Billable);
        Compare("duration_seconds", before.DurationSeconds, after.DurationSeconds);
        if (!before.Tags.SequenceEqual(after.Tags))
        {
            changes["tags"] = new { from = before.Tags, to = after.Tags };
        }

        return System.Text.Json.JsonSerializer.Serialize(new { session_id = after.SessionId, changes });
    }

    /// <summary>The audit trail of one entry (R27's corrections), oldest first.</summary>
    public Task<IReadOnlyList<AuditEvent>> HistoryAsync(Guid orgId, Guid entryId, CancellationToken ct) =>
        dataSource.ListAsync(
            "SELECT type, at, actor_user_id, data::text FROM audit_events WHERE org_id = $1 AND subject_id = $2 ORDER BY at, id",
            r => new AuditEvent(r.GetString(0), r.GetFieldValue<DateTimeOffset>(1), r.GetGuid(2), r.GetString(3)),
            ct, orgId, entryId);

    /// <summary>The database's refusal to change an invoiced entry (migration 0016's trigger, the backstop of R31).</summary>
    private const string InvoicedState = "HD431";

    /// <summary>R27, R31: an entry on an issued invoice cannot change at all until the invoice is voided.</summary>
    public static Refusal Invoiced() =>
        Refusal.Conflict("entry_invoiced", "This entry is on an issued invoice and cannot change; void the invoice first.");

    /// <summary>Deletes one of the user's own entries of the given sources; false when there is none (or it is invoiced).</summary>
    public Task<bool> DeleteAsync(Guid orgId, Guid userId, Guid entryId, string[] sources, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand(
                "DELETE FROM time_entries WHERE org_id = $1 AND id = $2 AND user_id = $3 AND source = ANY($4) AND invoice_id IS NULL", connection);
            foreach (var value in new object[] { orgId, entryId, userId, sources })
            {
                command.Parameters.Add(Db.Parameter(value));
            }

            var deleted = await command.ExecuteNonQueryAsync(ct) == 1;
            changes.Changed(orgId, userId);
            return deleted;
        });

    /// <summary>
    /// Totals per project and currency over entries overlapping [from, to) (R20: money is never
    /// converted, so every total is per currency). Amounts bill the billable seconds at each entry's own rate.
    /// </summary>
    public Task<IReadOnlyList<EntryTotal>> SummarizeByProjectAsync(
        Guid orgId, Guid userId, Guid? viewerId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken ct) =>
        Db.RunAsync<IReadOnlyList<EntryTotal>>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync(
                """
                SELECT e.project_id, p.name, e.currency, sum(e.duration_seconds)::bigint,
                       coalesce(sum(e.duration_seconds) FILTER (WHERE e.billable), 0)::bigint,
                       round(coalesce(sum(e.duration_seconds * e.rate / 3600) FILTER (WHERE e.billable), 0), 2),
                       count(*)
                FROM time_entries e JOIN projects p ON p.org_id = e.org_id AND p.id = e.project_id
                WHERE e.org_id = $1
                  AND (CASE WHEN $2::uuid IS NULL THEN e.user_id = $3
                       ELSE EXISTS (SELECT 1 FROM client_grants g WHERE g.org_id = p.org_id AND g.client_id = p.client_id AND g.user_id = $2) END)
                  AND ($4::timestamptz IS NULL OR e.ended_at > $4)
                  AND ($5::timestamptz IS NULL OR e.started_at < $5)
                GROUP BY e.project_id, p.name, e.currency
                ORDER BY lower(p.name), e.currency
                """,
                ct, orgId, Db.Nullable(viewerId, NpgsqlDbType.Uuid), userId,
                Db.Nullable(from, NpgsqlDbType.TimestampTz), Db.Nullable(to, NpgsqlDbType.TimestampTz));
            var totals = new List<EntryTotal>();
            while (await reader.ReadAsync(ct))
            {
                totals.Add(new EntryTotal(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                    reader.GetInt64(4), reader.GetDecimal(5), reader.GetInt64(6)));
            }

            return totals;
        });

    /// <summary>
    /// The user's latest distinct pieces of work (project, description and tags), newest first, from their last 200 entries;
    /// <see cref="RecentWork.Source"/> is the latest one's.
    /// </summary>
    public Task<IReadOnlyList<RecentWork>> RecentWorkAsync(Guid orgId, Guid userId, int limit, CancellationToken ct) =>
        dataSource.ListAsync(
            """
            SELECT project_id, description, tags, (array_agg(source ORDER BY started_at DESC))[1] AS source, max(started_at) AS last
            FROM (SELECT project_id, description, tags, source, started_at FROM time_entries
                  WHERE org_id = $1 AND user_id = $2 ORDER BY started_at DESC, id DESC LIMIT 200) latest
            GROUP BY project_id, description, tags
            ORDER BY last DESC
            LIMIT $3
            """,
            r => new RecentWork(r.Get<Guid>("project_id"), r.Get<string>("description")!, r.Get<string[]>("tags") ?? [],
                r.Get<string>("source")!, r.Get<DateTimeOffset>("last")),
            ct, orgId, userId, limit);

    /// <summary>An entry row; only a session's entry keeps a split of its own (R25), any other is all hands-on.</summary>
    internal static TimeEntry Read(NpgsqlDataReader r) => new(
        r.Get<Guid>("id"), r.Get<Guid>("org_id"), r.Get<Guid>("user_id"), r.Get<Guid>("project_id"), r.Get<Guid?>("agent_id"),
        r.Get<Guid?>("session_id"), r.Get<string>("source")!, r.Get<string>("description")!, r.Get<DateTimeOffset>("started_at"),
        r.Get<DateTimeOffset>("ended_at"), r.Get<long>("duration_seconds"), r.Get<bool>("billable"), r.Get<decimal>("rate"),
        r.Get<string>("currency")!, r.Get<string[]>("tags") ?? [], r.Get<DateTimeOffset>("created_at"),
        r.Get<string>("source") == EntrySource.Session
            ? new EntrySplit(r.Get<long>("active_seconds"), r.Get<long>("agent_seconds"), r.Get<long>("idle_seconds"), r.Get<bool>("agent_billed"))
            : null,
        r.Get<decimal?>("agent_rate"),
        r.Get<long?>("original_duration_seconds"),
        r.Get<DateTimeOffset?>("corrected_at"),
        r.Get<Guid?>("invoice_id"));
}

/// <summary>One row of the org's audit trail: what happened to a thing, when, by whom (R27).</summary>
public sealed record AuditEvent(string Type, DateTimeOffset At, Guid ActorUserId, string DataJson);
