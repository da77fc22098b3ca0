using Hourdini.Grains.Common;
using Npgsql;

namespace Hourdini.Silo.Storage.Budgets;

/// <summary>A project's budget (R32) as set: hours or money, and its two thresholds in percent.</summary>
public sealed record Budget(Guid Id, Guid ProjectId, string Kind, decimal Limit, int WarnPercent, int CriticalPercent);

/// <summary>
/// Where a budget stands now: what is used (hours or money) and which threshold it has reached; <paramref name="Currency"/>
/// is the project's client's, what a budget in money counts in (R20).
/// </summary>
public sealed record BudgetStatus(Budget Budget, decimal Used, decimal UsedPercent, string Status, IReadOnlyList<string> NewlyCrossed, string Currency)
{
    public const string Ok = "ok";
    public const string Warn = "warn";
    public const string Critical = "critical";
}

/// <summary>
/// R32: budgets per project. Usage counts billable entries and the live billable time of the project's open sessions
/// (active beats, and agent beats when the session bills agent time, up to now), in hours or in money at the sessions'
/// snapshotted rates (R26). A threshold crossed is recorded once per budget (<c>budget_crossings</c>' primary key), by
/// whichever read of the status first sees it: a status is evaluated when it is read (the API, an agent's session start
/// and pull, the web app).
/// </summary>
/// <remarks>
/// The issue suggests an Orleans grain per budget as the owner of "crossed once". The database's primary key gives the
/// same guarantee on every node without a grain call on each read, and the usage is a query over rows the grains already
/// wrote, so the budget stays a store.
/// </remarks>
public sealed class BudgetStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public Task<Budget> SetAsync(Guid orgId, Guid projectId, string kind, decimal limit, int warnPercent, int criticalPercent, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            var now = clock.UtcNowMs();
            var budget = new Budget(IdempotentRequest.NewId(now, "budget"), projectId, kind, limit, warnPercent, criticalPercent);
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var _ = await connection.QueryAsync(
                """
                INSERT INTO project_budgets (org_id, project_id, id, kind, limit_value, warn_percent, critical_percent, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (org_id, project_id) DO UPDATE SET id = excluded.id, kind = excluded.kind, limit_value = excluded.limit_value,
                    warn_percent = excluded.warn_percent, critical_percent = excluded.critical_percent, created_at = excluded.created_at
                """,
                ct, orgId, projectId, budget.Id, kind, limit, warnPercent, criticalPercent, now);
            return budget;
        });

    public Task<bool> DeleteAsync(Guid orgId, Guid projectId, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand("DELETE FROM project_budgets WHERE org_id = $1 AND project_id = $2", connection)
            {
                Parameters = { Db.Parameter(orgId), Db.Parameter(projectId) },
            };
            return await command.ExecuteNonQueryAsync(ct) == 1;
        });

    /// <summary>
    /// The statuses of the budgets of <paramref name="projectIds"/> (all of the org's when null) that exist; with
    /// <paramref name="ofAgent"/>, only the budget of the project that agent's open session works on (its pulls carry it).
    /// One round trip, and a write only when a threshold is crossed for the first time.
    /// </summary>
    public Task<IReadOnlyList<BudgetStatus>> StatusesAsync(
        Guid orgId, IReadOnlyCollection<Guid>? projectIds, CancellationToken ct, Guid? ofAgent = null) =>
        Db.RunAsync<IReadOnlyList<BudgetStatus>>(async () =>
        {
            var now = clock.GetUtcNow();
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var statuses = new List<BudgetStatus>();
            var recorded = new List<string[]>();
            await using (var reader = await connection.QueryAsync(
                """
                SELECT b.id, b.project_id, b.kind, b.limit_value, b.warn_percent, b.critical_percent,
                       coalesce(e.seconds, 0) + coalesce(l.seconds, 0) AS seconds, coalesce(e.amount, 0) + coalesce(l.amount, 0) AS amount,
                       ARRAY(SELECT c.threshold FROM budget_crossings c WHERE c.org_id = b.org_id AND c.budget_id = b.id) AS recorded,
                       (SELECT k.currency FROM projects p JOIN clients k ON k.org_id = p.org_id AND k.id = p.client_id
                        WHERE p.org_id = b.org_id AND p.id = b.project_id) AS currency
                FROM project_budgets b
                LEFT JOIN LATERAL (
                    SELECT sum(duration_seconds) FILTER (WHERE billable) AS seconds, sum(amount) FILTER (WHERE billable) AS amount
                    FROM time_entries t WHERE t.org_id = b.org_id AND t.project_id = b.project_id) e ON true
                LEFT JOIN LATERAL (
                    SELECT sum(x.billed) AS seconds,
                           sum(x.billed_active * s.rate / 3600 + x.billed_agent * coalesce(s.agent_rate, s.rate) / 3600) AS amount
                    FROM sessions s
                    CROSS JOIN LATERAL (
                        SELECT sum(CASE WHEN bt.kind = 'active' THEN extract(epoch FROM coalesce(bt.ended_at, $3) - bt.started_at) ELSE 0 END) AS billed_active,
                               sum(CASE WHEN bt.kind = 'agent' AND s.bill_agent_time THEN extract(epoch FROM coalesce(bt.ended_at, $3) - bt.started_at) ELSE 0 END) AS billed_agent,
                               sum(CASE WHEN bt.kind = 'active' OR (bt.kind = 'agent' AND s.bill_agent_time)
                                        THEN extract(epoch FROM coalesce(bt.ended_at, $3) - bt.started_at) ELSE 0 END) AS billed
                        FROM beats bt WHERE bt.org_id = s.org_id AND bt.session_id = s.id) x
                    WHERE s.org_id = b.org_id AND s.project_id = b.project_id AND s.stopped_at IS NULL) l ON true
                WHERE b.org_id = $1 AND ($2::uuid[] IS NULL OR b.project_id = ANY($2))
                  AND ($4::uuid IS NULL OR b.project_id = (
                      SELECT s.project_id FROM sessions s WHERE s.org_id = $1 AND s.agent_id = $4 AND s.stopped_at IS NULL LIMIT 1))
                """,
                ct, orgId, Db.Nullable(projectIds?.ToArray(), NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid), now,
                Db.Nullable(ofAgent, NpgsqlTypes.NpgsqlDbType.Uuid)))
            {
                while (await reader.ReadAsync(ct))
                {
                    var budget = new Budget(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetDecimal(3), reader.GetInt32(4), reader.GetInt32(5));
                    var exact = budget.Kind == "hours" ? reader.GetDecimal(6) / 3600m : reader.GetDecimal(7);
                    var used = Math.Round(exact, 2, MidpointRounding.ToEven);
                    var percent = Math.Round(exact * 100m / budget.Limit, 1, MidpointRounding.ToEven);
                    var status = percent >= budget.CriticalPercent ? BudgetStatus.Critical : percent >= budget.WarnPercent ? BudgetStatus.Warn : BudgetStatus.Ok;
                    statuses.Add(new BudgetStatus(budget, used, percent, status, [], reader.GetString(9)));
                    recorded.Add(reader.GetFieldValue<string[]>(8));
                }
            }

            // Each threshold reached is recorded once: the first status read that sees it inserts the row.
            for (var i = 0; i < statuses.Count; i++)
            {
                var reached = (statuses[i].Status switch
                {
                    BudgetStatus.Critical => new[] { BudgetStatus.Warn, BudgetStatus.Critical },
                    BudgetStatus.Warn => [BudgetStatus.Warn],
                    _ => [],
                }).Except(recorded[i]).ToArray();
                if (reached.Length == 0) // nothing new: a read writes nothing
                {
                    continue;
                }

                // The crossing and its budget.threshold webhook row (R33) commit together, once.
                var crossed = new List<string>();
                var status = statuses[i];
                await using var transaction = await connection.BeginTransactionAsync(ct);
                await using (var record = await connection.QueryAsync(
                    """
                    INSERT INTO budget_crossings (org_id, budget_id, project_id, threshold, used, crossed_at)
                    SELECT $1, $2, $3, t, $4, $5 FROM unnest($6::text[]) t
                    ON CONFLICT DO NOTHING RETURNING threshold
                    """,
                    ct, orgId, status.Budget.Id, status.Budget.ProjectId, status.Used, now, reached))
                {
                    while (await record.ReadAsync(ct))
                    {
                        crossed.Add(record.GetString(0));
                    }
                }

                foreach (var threshold in crossed)
                {
                    await using var _ = await connection.QueryAsync(
                        "SELECT hd_webhook_enqueue($1, 'budget.threshold', $2)", ct, orgId, Db.Jsonb(System.Text.Json.JsonSerializer.Serialize(new
                        {
                            budget = new
                            {
                                project_id = status.Budget.ProjectId, kind = status.Budget.Kind, limit = status.Budget.Limit, currency = status.Currency, threshold,
                                percent = threshold == BudgetStatus.Critical ? status.Budget.CriticalPercent : status.Budget.WarnPercent,
                                used = status.Used.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), used_percent = status.UsedPercent,
                                crossed_at = now,
                            },
                        })));
                }

                await transaction.CommitAsync(ct);
                statuses[i] = status with { NewlyCrossed = crossed };
            }

            return statuses;
        });

    public async Task<BudgetStatus?> StatusAsync(Guid orgId, Guid projectId, CancellationToken ct) =>
        (await StatusesAsync(orgId, [projectId], ct)).SingleOrDefault();

    /// <summary>The budget of the project the agent's open session works on, if it has a session and the project a budget.</summary>
    public async Task<BudgetStatus?> StatusForAgentAsync(Guid orgId, Guid agentId, CancellationToken ct) =>
        (await StatusesAsync(orgId, null, ct, ofAgent: agentId)).SingleOrDefault();

    /// <summary>Every crossing recorded for a project, oldest first (what webhooks and audits report).</summary>
    public Task<IReadOnlyList<(string Threshold, decimal Used, DateTimeOffset At)>> CrossingsAsync(Guid orgId, Guid projectId, CancellationToken ct) =>
        dataSource.ListAsync(
            "SELECT threshold, used, crossed_at FROM budget_crossings WHERE org_id = $1 AND project_id = $2 ORDER BY crossed_at, threshold",
            r => (r.GetString(0), r.GetDecimal(1), r.GetFieldValue<DateTimeOffset>(2)), ct, orgId, projectId);
}
