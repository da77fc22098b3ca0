using Hourdini.Grains.Agents;
using Hourdini.Grains.Sessions;
using Hourdini.Silo.Storage.Tracking;
using Npgsql;
using NpgsqlTypes;

namespace Hourdini.Silo.Storage.Agents;

/// <summary>Appends timeline events with the session's next write (R13).</summary>
public sealed class SessionJournal(PendingRows rows) : ISessionJournal
{
    public void Append(Guid orgId, Guid sessionId, SessionEvent sessionEvent) =>
        rows.Stage(Db.Command(
            "INSERT INTO session_events (org_id, session_id, seq, type, at, data) VALUES ($1, $2, $3, $4, $5, $6)",
            orgId, sessionId, sessionEvent.Seq, sessionEvent.Type, sessionEvent.At, Db.Jsonb(sessionEvent.Data)));
}

/// <summary>
/// R12: reads what the agent has not pulled yet and stages marking exactly those rows pulled with the grain's next write.
/// If anything else pulled some of them first, the counts differ and the write fails.
/// </summary>
public sealed class AgentInbox(NpgsqlDataSource dataSource, TimeProvider clock, PendingRows rows) : IAgentInbox
{
    private const int MaxPerPull = 200;

    public Task<AgentUpdates> PullAsync(Guid orgId, Guid agentId) => Db.RunAsync(async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var tasks = new List<AgentTask>();
        var messages = new List<AgentMessage>();

        // Both reads in one round trip: a start runs this inside its user's turn, which holds that user's other calls.
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Db.Command(
                    $"SELECT * FROM tasks WHERE org_id = $1 AND assignee_agent_id = $2 AND assignment_pulled_at IS NULL ORDER BY created_at, id LIMIT {MaxPerPull}",
                    orgId, agentId),
                Db.Command(
                    $"SELECT id, from_user_id, text, created_at FROM messages WHERE org_id = $1 AND agent_id = $2 AND pulled_at IS NULL ORDER BY created_at, id LIMIT {MaxPerPull}",
                    orgId, agentId),
            },
        };
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tasks.Add(TaskBoard.Read(reader));
            }

            await reader.NextResultAsync();
            while (await reader.ReadAsync())
            {
                messages.Add(new AgentMessage(reader.Get<Guid>("id"), agentId, reader.Get<Guid>("from_user_id"), reader.Get<string>("text")!,
                    reader.Get<DateTimeOffset>("created_at")));
            }
        }

        var at = clock.GetUtcNow();
        if (tasks.Count > 0)
        {
            rows.Stage(Db.Command(
                """
                WITH w AS (UPDATE tasks SET assignment_pulled_at = $3
                           WHERE org_id = $1 AND id = ANY($2) AND assignee_agent_id = $4 AND assignment_pulled_at IS NULL RETURNING 1)
                SELECT hd_expect_count(count(*), $5, 'pulled tasks') FROM w
                """,
                orgId, tasks.Select(t => t.Id).ToArray(), at, agentId, (long)tasks.Count));
        }

        if (messages.Count > 0)
        {
            rows.Stage(Db.Command(
                """
                WITH w AS (UPDATE messages SET pulled_at = $3 WHERE org_id = $1 AND id = ANY($2) AND pulled_at IS NULL RETURNING 1)
                SELECT hd_expect_count(count(*), $4, 'pulled messages') FROM w
                """,
                orgId, messages.Select(m => m.Id).ToArray(), at, (long)messages.Count));
        }

        return new AgentUpdates(tasks, messages);
    });
}

public sealed class TaskBoard(NpgsqlDataSource dataSource, PendingRows rows) : ITaskBoard
{
    public Task<AgentTask?> GetAsync(Guid orgId, Guid taskId) => Db.RunAsync(async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var reader = await connection.QueryAsync("SELECT * FROM tasks WHERE org_id = $1 AND id = $2", default, orgId, taskId);
        return await reader.ReadAsync() ? Read(reader) : null;
    });

    public void Save(Guid orgId, AgentTask task, bool reassigned) =>
        rows.Stage(Db.Command(
            """
            UPDATE tasks SET title = $3, status = $4, assignee_agent_id = $5, updated_at = $6,
                assignment_pulled_at = CASE WHEN $7 THEN NULL ELSE assignment_pulled_at END
            WHERE org_id = $1 AND id = $2
            """,
            orgId, task.Id, task.Title, task.Status, Db.Nullable(task.AssigneeAgentId, NpgsqlDbType.Uuid), task.UpdatedAt, reassigned));

    internal static AgentTask Read(NpgsqlDataReader r) => new(
        r.Get<Guid>("id"), r.Get<Guid>("project_id"), r.Get<string>("title")!, r.Get<string>("status")!,
        r.Get<Guid?>("assignee_agent_id"), r.Get<DateTimeOffset>("created_at"), r.Get<DateTimeOffset>("updated_at"));
}

public sealed class AgentPresence(NpgsqlDataSource dataSource, PendingRows rows) : IAgentPresence
{
    public Task<DateTimeOffset?> LastHeardAsync(Guid orgId, Guid sessionId) => Db.RunAsync(async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var reader = await connection.QueryAsync(
            "SELECT last_heard_at FROM sessions WHERE org_id = $1 AND id = $2", default, orgId, sessionId);
        return await reader.ReadAsync() ? reader.Get<DateTimeOffset?>("last_heard_at") : null;
    });

    public void ExpectLastHeard(Guid orgId, Guid sessionId, DateTimeOffset lastHeard) =>
        rows.Stage(Db.Command(
            """
            WITH unchanged AS (
                SELECT 1 FROM sessions WHERE org_id = $1 AND id = $2 AND coalesce(last_heard_at, started_at) = $3 FOR UPDATE)
            SELECT hd_expect_one(count(*), 'lease of session ' || $2::text) FROM unchanged
            """,
            orgId, sessionId, lastHeard));
}
