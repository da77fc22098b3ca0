namespace Hourdini.Grains.Agents;

public static class TaskStatuses
{
    public const string Open = "open";
    public const string InProgress = "in_progress";
    public const string Done = "done";

    public static bool IsKnown(string? status) => status is Open or InProgress or Done;
}

[GenerateSerializer, Immutable, Alias("hd.AgentTask")]
public sealed record AgentTask(
    Guid Id,
    Guid ProjectId,
    string Title,
    string Status,
    Guid? AssigneeAgentId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

[GenerateSerializer, Immutable, Alias("hd.AgentMessage")]
public sealed record AgentMessage(Guid Id, Guid AgentId, Guid FromUserId, string Text, DateTimeOffset CreatedAt);

/// <summary>What an agent pulls: tasks newly assigned to it and its unread messages (R12).</summary>
[GenerateSerializer, Immutable, Alias("hd.AgentUpdates")]
public sealed record AgentUpdates(IReadOnlyList<AgentTask> Tasks, IReadOnlyList<AgentMessage> Messages)
{
    public static AgentUpdates None { get; } = new([], []);

    public string SummaryJson => $$"""{"tasks_new": {{Tasks.Count}}, "messages": {{Messages.Count}}}""";
}

/// <summary>
/// An agent's inbox. A pull returns what is new and marks it pulled in the same turn's transaction,
/// so each task assignment and each message is handed over exactly once.
/// </summary>
public interface IAgentInbox
{
    Task<AgentUpdates> PullAsync(Guid orgId, Guid agentId);
}

/// <summary>The org's task board as the user grain sees it.</summary>
public interface ITaskBoard
{
    /// <summary>The task, or null when the org has no such task.</summary>
    Task<AgentTask?> GetAsync(Guid orgId, Guid taskId);

    /// <summary>
    /// Stages the task as it now is into the current turn. A new assignee makes it "newly assigned"
    /// again, so that agent pulls it (R12).
    /// </summary>
    void Save(Guid orgId, AgentTask task, bool reassigned);
}

/// <summary>R15: how an agent's lease is renewed.</summary>
public static class AgentLease
{
    /// <summary>
    /// Renewals outside a session's own turn (heartbeats, pulls) closer together than this are made once, and a beat
    /// that changes nothing writes only to renew a lease older than this: the stored lease lags the agent by less.
    /// </summary>
    public static readonly TimeSpan RenewEvery = TimeSpan.FromMilliseconds(500);
}

/// <summary>
/// When each agent session last heard from its agent (R15). An agent's beat or log renews it in the session's own
/// write (<see cref="Sessions.SessionState.LastHeardAt"/>); every other call of the agent renews it in the gateway.
/// The auto-stop reads it here, and commits only if it did not move meanwhile.
/// </summary>
public interface IAgentPresence
{
    Task<DateTimeOffset?> LastHeardAsync(Guid orgId, Guid sessionId);

    /// <summary>Stages a guard with the grain's next write: it commits only if last-heard is still <paramref name="lastHeard"/>.</summary>
    void ExpectLastHeard(Guid orgId, Guid sessionId, DateTimeOffset lastHeard);
}

/// <summary>A change to a task; agents may change only the status of tasks assigned to them.</summary>
[GenerateSerializer, Immutable, Alias("hd.TaskChange")]
public sealed record TaskChange(string? Title, string? Status, Guid? AssigneeAgentId, bool Unassign)
{
    public bool OnlyStatus => Title is null && AssigneeAgentId is null && !Unassign;
}
