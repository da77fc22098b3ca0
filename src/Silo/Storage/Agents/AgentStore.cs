using System.Collections.Concurrent;
using Hourdini.Grains.Accounts;
using Hourdini.Silo.Storage.Accounts;
using Hourdini.Grains.Agents;
using Hourdini.Grains.Common;
using Hourdini.Grains.Sessions;
using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Silo.Storage.Agents;

public sealed record Agent(Guid Id, Guid UserId, string Name, string Status, DateTimeOffset CreatedAt)
{
    public const string Active = "active";
    public const string Disabled = "disabled";
}

/// <summary>Agents, their tokens and presence, the tasks and messages addressed to them, and session timelines.</summary>
public sealed class AgentStore(NpgsqlDataSource dataSource, TimeProvider clock, CallerCache callers, IStorageBackend backend)
{
    /// <remarks>
    /// The id derives from the request's <c>Idempotency-Key</c>: a keyed request run again after a crash finds its agent
    /// and gives it the new secret, since the first one was never delivered.
    /// </remarks>
    public Task<Agent> CreateAsync(Guid orgId, Guid userId, string name, byte[] secretHash, CancellationToken ct) => Db.RunAsync(async () =>
    {
        var now = clock.UtcNowMs();
        var agent = new Agent(IdempotentRequest.NewId(now, "agent"), userId, name, Agent.Active, now);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var _ = await connection.QueryAsync(
            """
            INSERT INTO agents (org_id, id, user_id, name, status, secret_hash, created_at) VALUES ($1, $2, $3, $4, 'active', $5, $6)
            ON CONFLICT (org_id, id) DO UPDATE SET secret_hash = excluded.secret_hash
            """,
            ct, orgId, agent.Id, userId, name, secretHash, agent.CreatedAt);
        return agent;
    });

    public async Task<Agent?> GetAsync(Guid orgId, Guid agentId, CancellationToken ct) =>
        (await QueryAgentsAsync("a.org_id = $1 AND a.id = $2", ct, orgId, agentId)).SingleOrDefault();

    /// <summary>
    /// The org's agents. A viewer (<paramref name="viewerId"/> set) sees only the agents named on entries they can read:
    /// those on the clients granted to them; the rest of the org's agents, and whose they are, are none of their business.
    /// </summary>
    public Task<IReadOnlyList<Agent>> ListAsync(Guid orgId, Guid? viewerId, CancellationToken ct) => QueryAgentsAsync(
        """
        a.org_id = $1 AND ($2::uuid IS NULL OR EXISTS (
            SELECT 1 FROM time_entries e JOIN projects p ON p.org_id = e.org_id AND p.id = e.project_id
            JOIN client_grants g ON g.org_id = p.org_id AND g.client_id = p.client_id
            WHERE e.org_id = a.org_id AND e.agent_id = a.id AND g.user_id = $2))
        ORDER BY a.created_at
        """,
        ct, orgId, Db.Nullable(viewerId, NpgsqlDbType.Uuid));

    public Task<Agent?> SetStatusAsync(Guid orgId, Guid agentId, string status, CancellationToken ct) => Db.RunAsync(async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var reader = await connection.QueryAsync(
            "UPDATE agents SET status = $3 WHERE org_id = $1 AND id = $2 RETURNING *", ct, orgId, agentId, status);
        var agent = await reader.ReadAsync(ct) ? ReadAgent(reader) : null;
        if (agent is not null)
        {
            callers.Forget(orgId, agent.UserId);
        }

        return agent;
    });

    /// <summary>The caller an agent token stands for: the agent, acting for its owner with the owner's role.</summary>
    public Task<Caller?> FindTokenAsync(byte[] secretHash, CancellationToken ct) => callers.GetOrLoadAsync(secretHash, () => Db.RunAsync(async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var reader = await connection.QueryAsync(
            """
            SELECT a.id, a.org_id, a.user_id, a.status, m.role FROM agents a
            JOIN memberships m ON m.org_id = a.org_id AND m.user_id = a.user_id
            WHERE a.secret_hash = $1
            """, ct, secretHash);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        Roles.TryParse(reader.GetString(4), out var role);
        return new Caller(reader.GetGuid(2), reader.GetGuid(1), role, CallerKind.Agent, AgentId: reader.GetGuid(0),
            AgentActive: reader.GetString(3) == Agent.Active);
    }));

    private readonly ConcurrentDictionary<Guid, long> _renewed = new();

    /// <summary>
    /// R15: the agent was heard from now, by a call that is not a beat or log of its session (those renew the lease in
    /// their own turn); renews the lease of its open session, if any, at most every <see cref="AgentLease.RenewEvery"/>.
    /// Only moves forward. The renewal goes through the group committer, so renewals of many agents share a transaction.
    /// </summary>
    public Task TouchAsync(Guid orgId, Guid agentId, CancellationToken ct)
    {
        var now = clock.UtcNowMs();
        if (_renewed.TryGetValue(agentId, out var last) && now.UtcTicks - last < AgentLease.RenewEvery.Ticks)
        {
            return Task.CompletedTask;
        }

        _renewed[agentId] = now.UtcTicks;
        return backend.CommitAsync(
            [new PgWrite(Db.Command(
                """
                UPDATE sessions SET last_heard_at = greatest(last_heard_at, $3)
                WHERE org_id = $1 AND agent_id = $2 AND stopped_at IS NULL AND last_heard_at < $3
                """, orgId, agentId, now))],
            ct);
    }

    public Task<AgentTask?> CreateTaskAsync(Guid orgId, Guid projectId, string title, Guid? assignee, Guid createdBy, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            // Created once per Idempotency-Key: a run after a crash finds the task its first run created.
            var now = clock.UtcNowMs();
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync(
                """
                WITH created AS (
                    INSERT INTO tasks (org_id, id, project_id, title, status, assignee_agent_id, created_by, created_at, updated_at)
                    SELECT $1, $2, p.id, $4, 'open', $5, $6, $7, $7 FROM projects p WHERE p.org_id = $1 AND p.id = $3
                    ON CONFLICT (org_id, id) DO NOTHING
                    RETURNING *)
                SELECT * FROM created UNION ALL SELECT * FROM tasks WHERE org_id = $1 AND id = $2 AND project_id = $3
                """, ct, orgId, IdempotentRequest.NewId(now, "task"), projectId, title, Db.Nullable(assignee, NpgsqlDbType.Uuid), createdBy, now);
            return await reader.ReadAsync(ct) ? TaskBoard.Read(reader) : null;
        });

    public Task<IReadOnlyList<AgentTask>> ListTasksAsync(Guid orgId, Guid projectId, CancellationToken ct) =>
        dataSource.ListAsync("SELECT * FROM tasks WHERE org_id = $1 AND project_id = $2 ORDER BY created_at, id", TaskBoard.Read, ct, orgId, projectId);

    public Task<AgentMessage> CreateMessageAsync(Guid orgId, Guid agentId, Guid fromUserId, string text, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            // Sent once per Idempotency-Key (see CreateTaskAsync).
            var now = clock.UtcNowMs();
            var message = new AgentMessage(IdempotentRequest.NewId(now, "message"), agentId, fromUserId, text, now);
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var _ = await connection.QueryAsync(
                """
                INSERT INTO messages (org_id, id, agent_id, from_user_id, text, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (org_id, id) DO NOTHING
                """,
                ct, orgId, message.Id, agentId, fromUserId, text, message.CreatedAt);
            return message;
        });

    /// <summary>A page of a session's timeline, in order, after event <paramref name="afterSeq"/>.</summary>
    public Task<IReadOnlyList<SessionEvent>> TimelineAsync(Guid orgId, Guid sessionId, int afterSeq, int limit, CancellationToken ct) =>
        dataSource.ListAsync(
            "SELECT seq, type, at, data FROM session_events WHERE org_id = $1 AND session_id = $2 AND seq > $3 ORDER BY seq LIMIT $4",
            r => new SessionEvent(r.GetInt32(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.GetString(3)),
            ct, orgId, sessionId, afterSeq, limit);

    private Task<IReadOnlyList<Agent>> QueryAgentsAsync(string where, CancellationToken ct, params object?[] parameters) =>
        dataSource.ListAsync($"SELECT a.* FROM agents a WHERE {where}", ReadAgent, ct, parameters);

    private static Agent ReadAgent(NpgsqlDataReader r) =>
        new(r.Get<Guid>("id"), r.Get<Guid>("user_id"), r.Get<string>("name")!, r.Get<string>("status")!, r.Get<DateTimeOffset>("created_at"));
}
