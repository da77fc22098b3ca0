using System.Collections.Immutable;

namespace Hourdini.Grains.Sessions;

public static class SessionStatus
{
    public const string Started = "started";
    public const string Logging = "logging";
    public const string Stopped = "stopped";
}

/// <summary>A session's durable state: its bounds, snapshots taken at start, and its beat timeline.</summary>
[GenerateSerializer, Immutable, Alias("hd.SessionState")]
public sealed record SessionState
{
    [Id(0)]
    public Guid Id { get; init; }

    [Id(1)]
    public Guid OrgId { get; init; }

    [Id(2)]
    public Guid UserId { get; init; }

    [Id(3)]
    public Guid? AgentId { get; init; }

    [Id(4)]
    public Guid ProjectId { get; init; }

    [Id(5)]
    public string Description { get; init; } = "";

    [Id(6)]
    public string Status { get; init; } = SessionStatus.Started;

    /// <summary>The project's Bill agent time flag when the session started (R5).</summary>
    [Id(7)]
    public bool BillAgentTime { get; init; }

    /// <summary>The project's effective rate when the session started (R6, R19).</summary>
    [Id(8)]
    public decimal Rate { get; init; }

    [Id(9)]
    public string Currency { get; init; } = "";

    [Id(10)]
    public DateTimeOffset StartedAt { get; init; }

    [Id(11)]
    public DateTimeOffset? StoppedAt { get; init; }

    [Id(12)]
    public ImmutableList<Beat> Beats { get; init; } = [];

    [Id(13)]
    public Guid? EntryId { get; init; }

    /// <summary>Free-form JSON object (pull summary, environment).</summary>
    [Id(14)]
    public string Metadata { get; init; } = "{}";

    /// <summary>How many timeline events the session has; the next one gets the next number.</summary>
    [Id(15)]
    public int EventsCount { get; init; }

    /// <summary>R14: every task named by an event, in first-named order.</summary>
    [Id(16)]
    public ImmutableList<Guid> TasksWorkedOn { get; init; } = [];

    /// <summary>R16: tasks moved to done during the session.</summary>
    [Id(17)]
    public ImmutableList<Guid> TasksCompleted { get; init; } = [];

    [Id(18)]
    public int LogsCount { get; init; }

    /// <summary>
    /// R15: when the session's agent was last heard from (null for a person's session). An agent's beat or log moves it
    /// in the turn's own write; heartbeats move the stored value outside any turn, so the stored value may be later
    /// than this one, and a write never moves it back.
    /// </summary>
    [Id(19)]
    public DateTimeOffset? LastHeardAt { get; init; }

    /// <summary>R26: the project's agent rate when the session started, snapshotted with <see cref="BillAgentTime"/>.</summary>
    [Id(20)]
    public decimal? AgentRate { get; init; }

    public bool IsStopped => Status == SessionStatus.Stopped;

    public BeatTotals TotalsAt(DateTimeOffset now) => Timeline.Totals(Beats, StoppedAt ?? now);
}

/// <summary>
/// Everything a session is created from. An agent's session pulls the agent's updates in its own first write (R12), so
/// what is marked pulled and the session that reports it commit together.
/// </summary>
[GenerateSerializer, Immutable, Alias("hd.SessionStart")]
public sealed record SessionStart(
    Guid OrgId,
    Guid UserId,
    Guid? AgentId,
    Projects.ProjectTerms Project,
    string Description,
    BeatKind FirstBeat,
    DateTimeOffset At,
    string EnvironmentJson);

/// <summary>A session just started, with what its agent pulled (nothing for a person's session).</summary>
[GenerateSerializer, Immutable, Alias("hd.SessionOpened")]
public sealed record SessionOpened(SessionState Session, Agents.AgentUpdates Updates);

[GenerateSerializer, Immutable, Alias("hd.SessionEnded")]
public sealed record SessionEnded(SessionState Session, Entries.TimeEntry? Entry);

/// <summary>
/// Who calls a session: its user, and the agent when an agent calls. A session answers only its own user, and an agent
/// only on its own session; anyone else is told it does not exist (404).
/// </summary>
[GenerateSerializer, Immutable, Alias("hd.Caller")]
public readonly record struct SessionCaller(Guid UserId, Guid? AgentId);

public static class StopReasons
{
    public const string Ended = "ended";

    /// <summary>R15: the agent went quiet for longer than the org's lease.</summary>
    public const string AutoStopped = "auto_stopped";
}
