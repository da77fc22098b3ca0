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
    /// <summary>
    /// The key of an entry's group, as grouped: a local date or the local Monday of its week for days and weeks ($6 is the
    /// IANA time zone, passed only to the groupings that need it), formatted after grouping by <see cref="KeyText"/>.
    /// </summary>
    private static string KeyOf(ReportGrouping grouping) => grouping switch
    {
        ReportGrouping.Client => "p.client_id",
        ReportGrouping.Project => "e.project_id",
        ReportGrouping.Agent => "e.agent_id",
        ReportGrouping.Source => "e.source",
        ReportGrouping.User => "e.user_id",
        ReportGrouping.Day => "(e.started_at AT TIME ZONE $6)::date",
        ReportGrouping.Week => "date_trunc('week', e.started_at AT TIME ZONE $6)", // ISO weeks start on Monday
        _ => throw new ArgumentOutOfRangeException(nameof(grouping)),
    };

    private static string KeyText(ReportGrouping grouping) => grouping switch
    {
        ReportGrouping.Day => "to_char(g.key, 'YYYY-MM-DD')",
        ReportGrouping.Week => "to_char(g.key, 'IYYY-\"W\"IW')", // the ISO week-numbering year: 2027-01-03 is in 2026-W53
        _ => "g.key::text",
    };

    /// <summary>The name of a group's key, looked up after grouping (a handful of rows, not one per entry).</summary>
    private static string LabelOf(ReportGrouping grouping) => grouping switch
    {
        ReportGrouping.Client => "(SELECT c.name FROM clients c WHERE c.org_id = $1 AND c.id = g.key)",
        ReportGrouping.Project => "(SELECT p.name FROM projects p WHERE p.org_id = $1 AND p.id = g.key)",
        ReportGrouping.Agent => "(SELECT a.name FROM agents a WHERE a.org_id = $1 AND a.id = g.key)",
        ReportGrouping.User => "(SELECT u.name FROM users u WHERE u.id = g.key)",
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
        // The project (for its client) only when the grouping or a viewer's grants need it: the join costs a tenth.
        var project = grouping == ReportGrouping.Client || scope.ViewerId is not null
            ? "JOIN projects p ON p.org_id = e.org_id AND p.id = e.project_id"
            : "";
        var granted = scope.ViewerId is null
            ? "AND $5::uuid IS NULL"
            : "AND EXISTS (SELECT 1 FROM client_grants cg WHERE cg.org_id = p.org_id AND cg.client_id = p.client_id AND cg.user_id = $5)";
        var sql = $"""
            SELECT {KeyText(grouping)}, {LabelOf(grouping)}, g.currency, g.billable_seconds, g.active_seconds, g.agent_seconds, g.idle_seconds,
                   g.entries, g.amount
            FROM (
                SELECT {KeyOf(grouping)} AS key, e.currency::text AS currency,
                       coalesce(sum(e.duration_seconds) FILTER (WHERE e.billable), 0)::bigint AS billable_seconds,
                       sum(e.active_seconds)::bigint AS active_seconds,
                       sum(e.agent_seconds)::bigint AS agent_seconds,
                       sum(e.idle_seconds)::bigint AS idle_seconds,
                       count(*) AS entries,
                       sum(e.amount) AS amount
                FROM time_entries e {project}
                WHERE e.org_id = $1 AND e.started_at >= $2 AND e.started_at < $3
                  AND ($4::uuid IS NULL OR e.user_id = $4)
                  {granted}
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
