using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Silo.Storage.Reports;

/// <summary>What a report groups by (R28).</summary>
public enum ReportGrouping
{
    Client,
    Project,
    Agent,
    Source,
    User,
    Day,
    Week,
}

/// <summary>
/// Whose entries a report reads: the whole org (<see cref="UserId"/> and <see cref="ViewerId"/> null), one user's own
/// entries, or every entry on the clients granted to a viewer.
/// </summary>
public sealed record ReportScope(Guid? UserId, Guid? ViewerId)
{
    public static ReportScope WholeOrg { get; } = new(null, null);
}

/// <summary>
/// One group's sums in one currency. <paramref name="Key"/> is the group's id, source name, local date
/// (<c>2026-12-07</c>) or ISO week (<c>2026-W50</c>); null only for entries without an agent.
/// </summary>
public sealed record ReportRow(
    string? Key,
    string? Label,
    string Currency,
    long BillableSeconds,
    long ActiveSeconds,
    long AgentSeconds,
    long IdleSeconds,
    long Entries,
    decimal Amount);

/// <summary>
/// Reports over time entries (R28), grouped in PostgreSQL. An entry counts in the period and the day or week in which
/// it started, in the caller's time zone; sums are per currency, never converted (R20).
/// </summary>
public sealed class ReportStore(NpgsqlDataSource dataSource)
{
    /// <summary>The key of an entry's group; $6 is the IANA time zone, passed only to the groupings that need it.</summary>
    private static string KeyOf(ReportGrouping grouping) => grouping switch
    {
        ReportGrouping.Client => "p.client_id::text",
        ReportGrouping.Project => "e.project_id::text",
        ReportGrouping.Agent => "e.agent_id::text",
        ReportGrouping.Source => "e.source",
        ReportGrouping.User => "e.user_id::text",
        ReportGrouping.Day => "to_char(e.started_at AT TIME ZONE $6, 'YYYY-MM-DD')",
        ReportGrouping.Week => "to_char(e.started_at AT TIME ZONE $6, 'IYYY-\"W\"IW')", // ISO week-numbering year and week, Monday first
        _ => throw new ArgumentOutOfRangeException(nameof(grouping)),
    };

    /// <summary>The name of a group's key, looked up after grouping (a handful of rows, not one per entry).</summary>
    private static string LabelOf(ReportGrouping grouping) => grouping switch
    {
        ReportGrouping.Client => "(SELECT c.name FROM clients c WHERE c.org_id = $1 AND c.id = g.key::uuid)",
        ReportGrouping.Project => "(SELECT p.name FROM projects p WHERE p.org_id = $1 AND p.id = g.key::uuid)",
        ReportGrouping.Agent => "(SELECT a.name FROM agents a WHERE a.org_id = $1 AND a.id = g.key::uuid)",
        ReportGrouping.User => "(SELECT u.name FROM users u WHERE u.id = g.key::uuid)",
        _ => "NULL::text",
    };

    private static bool NeedsZone(ReportGrouping grouping) => grouping is ReportGrouping.Day or ReportGrouping.Week;

    /// <summary>
    /// Sums per group and currency of the entries in <paramref name="scope"/> that started in [<paramref name="from"/>,
    /// <paramref name="to"/>). <c>billable_seconds</c> sums the duration (what is billed) of billable entries; active, agent
    /// and idle seconds and the count take every entry, billable or not; the amount is the entries' own (0 when not billable).
    /// </summary>
    public Task<IReadOnlyList<ReportRow>> SummarizeAsync(
        Guid orgId, ReportScope scope, DateTimeOffset from, DateTimeOffset to, ReportGrouping grouping, string timeZone, CancellationToken ct)
    {
        var sql = $"""
            SELECT g.key, {LabelOf(grouping)}, g.currency, g.billable_seconds, g.active_seconds, g.agent_seconds, g.idle_seconds, g.entries, g.amount
            FROM (
                SELECT {KeyOf(grouping)} AS key, e.currency::text AS currency,
                       coalesce(sum(e.duration_seconds) FILTER (WHERE e.billable), 0)::bigint AS billable_seconds,
                       sum(e.active_seconds)::bigint AS active_seconds,
                       sum(e.agent_seconds)::bigint AS agent_seconds,
                       sum(e.idle_seconds)::bigint AS idle_seconds,
                       count(*) AS entries,
                       sum(e.amount) AS amount
                FROM time_entries e JOIN projects p ON p.org_id = e.org_id AND p.id = e.project_id
                WHERE e.org_id = $1 AND e.started_at >= $2 AND e.started_at < $3
                  AND ($4::uuid IS NULL OR e.user_id = $4)
                  AND ($5::uuid IS NULL OR EXISTS (
                      SELECT 1 FROM client_grants cg WHERE cg.org_id = p.org_id AND cg.client_id = p.client_id AND cg.user_id = $5))
                GROUP BY 1, 2
            ) g
            """;
        object?[] parameters =
        [
            orgId, from.ToUniversalTime(), to.ToUniversalTime(),
            Db.Nullable(scope.UserId, NpgsqlDbType.Uuid), Db.Nullable(scope.ViewerId, NpgsqlDbType.Uuid),
        ];
        if (NeedsZone(grouping))
        {
            parameters = [.. parameters, timeZone];
        }

        return dataSource.ListAsync(sql, r => new ReportRow(
            r.IsDBNull(0) ? null : r.GetString(0),
            r.IsDBNull(1) ? null : r.GetString(1),
            r.GetString(2),
            r.GetInt64(3),
            r.GetInt64(4),
            r.GetInt64(5),
            r.GetInt64(6),
            r.GetInt64(7),
            r.GetDecimal(8)), ct, parameters);
    }
}
