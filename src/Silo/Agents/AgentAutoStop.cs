using Hourdini.Grains.Common;
using Hourdini.Grains.Users;
using Hourdini.Silo.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Storage;

namespace Hourdini.Silo.Agents;

public sealed class AutoStopOptions
{
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a node's claim on an expired session keeps other nodes away from it.</summary>
    public TimeSpan ClaimFor { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// R15, auto-stop on crash: every sweep claims agent sessions whose lease ran out (FOR UPDATE SKIP
/// LOCKED, so nodes sweeping together never take the same one) and stops each through its user's
/// grain at its last-heard time. The state lives in PostgreSQL, so a restarted node simply catches up.
/// A stop happens once even if two claims ever overlapped: Orleans runs the session's grain once in the cluster, the
/// stop's write checks that the session's version and last-heard time are still the ones it read, and a stopped
/// session cannot change (R7).
/// </summary>
public sealed class AgentAutoStop(
    NpgsqlDataSource dataSource,
    IGrainFactory grains,
    AutoStopOptions options,
    ILogger<AgentAutoStop> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SweepInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(error, "Agent auto-stop sweep failed; the next sweep retries.");
            }
        }
    }

    /// <summary>Stops every claimable expired agent session; returns how many it stopped.</summary>
    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var due = new List<(Guid OrgId, Guid SessionId, Guid UserId, int Lease)>();
        await Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var reader = await connection.QueryAsync(
                """
                UPDATE sessions s SET sweep_claimed_until = now() + $1
                FROM (SELECT x.org_id, x.id, o.agent_lease_seconds FROM sessions x JOIN orgs o ON o.id = x.org_id
                      WHERE x.agent_id IS NOT NULL AND x.stopped_at IS NULL
                        AND x.last_heard_at + make_interval(secs => o.agent_lease_seconds) < now()
                        AND (x.sweep_claimed_until IS NULL OR x.sweep_claimed_until < now())
                      ORDER BY x.last_heard_at LIMIT 200
                      FOR UPDATE OF x SKIP LOCKED) due
                WHERE s.org_id = due.org_id AND s.id = due.id
                RETURNING s.org_id, s.id, s.user_id, due.agent_lease_seconds
                """,
                cancellationToken, options.ClaimFor);
            while (await reader.ReadAsync(cancellationToken))
            {
                due.Add((reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetInt32(3)));
            }
        });

        var stopped = 0;
        foreach (var (orgId, sessionId, userId, lease) in due)
        {
            try
            {
                if (await grains.GetGrain<IUserGrain>(GrainKeys.For(orgId, userId)).AutoStopAsync(sessionId, lease) is not null)
                {
                    stopped++;
                }
            }
            catch (Exception error) when (!cancellationToken.IsCancellationRequested)
            {
                // The agent was heard from meanwhile (its lease check lost), or a silo or the database failed this one
                // stop. The claim is released so the next sweep (of any node) retries at once instead of after ClaimFor,
                // and the rest of the batch goes on.
                logger.LogInformation("Agent session {Session} was not auto-stopped: {Reason}", sessionId, error.Message);
                await ReleaseClaimAsync(orgId, sessionId, cancellationToken);
            }
        }

        return stopped;
    }

    private Task ReleaseClaimAsync(Guid orgId, Guid sessionId, CancellationToken cancellationToken) => Db.RunAsync(async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE sessions SET sweep_claimed_until = NULL WHERE org_id = $1 AND id = $2 AND stopped_at IS NULL";
        command.Parameters.Add(Db.Parameter(orgId));
        command.Parameters.Add(Db.Parameter(sessionId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    });
}
