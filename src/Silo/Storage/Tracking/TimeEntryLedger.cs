using Hourdini.Grains.Entries;
using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Silo.Storage.Tracking;

/// <summary>Stages an entry insert with the next write of the grain that produced it.</summary>
public sealed class TimeEntryLedger(PendingRows rows) : ITimeEntryLedger
{
    public void Record(TimeEntry entry) => rows.Stage(Insert(entry));

    /// <summary>The entry's row, with its split (R25); its amount the database computes (R26).</summary>
    public static NpgsqlBatchCommand Insert(TimeEntry entry)
    {
        var split = entry.SplitOrHandsOn;
        return Db.Command(
            """
            INSERT INTO time_entries (org_id, id, user_id, project_id, agent_id, session_id, source, description,
                started_at, ended_at, duration_seconds, billable, rate, currency, tags, created_at, updated_at,
                active_seconds, agent_seconds, idle_seconds, agent_billed, agent_rate)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17, $18, $19, $20, $21)
            """,
            entry.OrgId, entry.Id, entry.UserId, entry.ProjectId, Db.Nullable(entry.AgentId, NpgsqlDbType.Uuid),
            Db.Nullable(entry.SessionId, NpgsqlDbType.Uuid), entry.Source, entry.Description, entry.StartedAt, entry.EndedAt,
            entry.DurationSeconds, entry.Billable, entry.Rate, entry.Currency, entry.Tags.ToArray(), entry.CreatedAt,
            split.ActiveSeconds, split.AgentSeconds, split.IdleSeconds, split.AgentBilled, Db.Nullable(entry.AgentRate, NpgsqlDbType.Numeric));
    }
}
