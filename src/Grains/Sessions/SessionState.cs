using System.Collections.Immutable;

namespace Hourdini.Grains.Sessions;

public static class SessionStatus
{
    public const string Started = "started";
    public const string Logging = "logging";
    public const string Stopped = "stopped";
}

/// <summary>A session's durable state: its bounds, snapshots taken at start, and its beat timeline.</summary>
public sealed record SessionState
{
    public Guid Id { get; init; }

    public Guid OrgId { get; init; }

    public Guid UserId { get; init; }

    public Guid? AgentId { get; init; }

    public Guid ProjectId { get; init; }

    public string Description { get; init; } = "";

    public string Status { get; init; } = SessionStatus.Started;

    /// <summary>The project's Bill agent time flag when the session started (R5).</summary>
    public bool BillAgentTime { get; init; }

    /// <summary>The project's effective rate when the session started (R6, R19).</summary>
    public decimal Rate { get; init; }

    public string Currency { get; init; } = "";

    public DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? StoppedAt { get; init; }

    public ImmutableList<Beat> Beats { get; init; } = [];

    public Guid? EntryId { get; init; }

    /// <summary>Free-form JSON object (pull summary, environment).</summary>
    public string Metadata { get; init; } = "{}";

    /// <summary>How many timeline events the session has; the next one gets the next number.</summary>
    public int EventsCount { get; init; }

    /// <summary>R14: every task named by an event, in first-named order.</summary>
    public ImmutableList<Guid> TasksWorkedOn { get; init; } = [];

    /// <summary>R16: tasks moved to done during the session.</summary>
    public ImmutableList<Guid> TasksCompleted { get; init; } = [];

    public int LogsCount { get; init; }

    /// <summary>
    /// R15: when the session's agent was last heard from (null for a person's session). An agent's beat or log moves it
    /// in the turn's own write; heartbeats move the stored value outside any turn, so the stored value may be later
    /// than this one, and a write never moves it back.
    /// </summary>
    public DateTimeOffset? LastHeardAt { get; init; }

    public bool IsStopped => Status == SessionStatus.Stopped;

    public BeatTotals TotalsAt(DateTimeOffset now) => Timeline.Totals(Beats, StoppedAt ?? now);
}

/// <summary>Everything a session is created from.</summary>
public sealed record SessionStart(
    Guid Id,
    Guid OrgId,
    Guid UserId,
    Guid? AgentId,
    Projects.ProjectTerms Project,
    string Description,
    BeatKind FirstBeat,
    DateTimeOffset At,
    string Metadata);

public sealed record SessionEnded(SessionState Session, Entries.TimeEntry? Entry);

public static class StopReasons
{
    public const string Ended = "ended";

    /// <summary>R15: the agent went quiet for longer than the org's lease.</summary>
    public const string AutoStopped = "auto_stopped";
}
