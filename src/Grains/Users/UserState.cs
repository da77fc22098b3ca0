using System.Collections.Immutable;

namespace Hourdini.Grains.Users;

/// <summary>A user's bare running timer, with the rate locked in when it started (R17).</summary>
/// <remarks>Its id becomes the id of the entry it is saved as.</remarks>
[GenerateSerializer, Immutable, Alias("hd.RunningTimer")]
public sealed record RunningTimer(
    Guid Id,
    Guid ProjectId,
    string Description,
    IReadOnlyList<string> Tags,
    DateTimeOffset StartedAt,
    decimal Rate,
    string Currency);

/// <summary>
/// A user's live tracking state within one org. Invariant (R3): at most one of a running timer and a focused session,
/// and the focused session is the only one of the user's sessions in an active beat.
/// </summary>
/// <remarks>
/// Only the timer is the user grain's own row. The focus and the agents' open sessions are facts of the session rows;
/// storage reads them from there whenever the grain activates, so a crash between a session's write and the user
/// grain's bookkeeping leaves nothing to repair (README, "Consistency across grains").
/// </remarks>
[GenerateSerializer, Immutable, Alias("hd.UserState")]
public sealed record UserState
{
    [Id(0)]
    public RunningTimer? Timer { get; init; }

    /// <summary>The session whose open beat is active.</summary>
    [Id(1)]
    public Guid? FocusedSessionId { get; init; }

    /// <summary>R8: the one open session of each of the user's agents, by agent id.</summary>
    [Id(2)]
    public ImmutableDictionary<Guid, Guid> AgentSessions { get; init; } = ImmutableDictionary<Guid, Guid>.Empty;
}

/// <summary>Start a session: by the human when <see cref="AgentId"/> is null, else by that agent (R2, R11).</summary>
[GenerateSerializer, Immutable, Alias("hd.StartSession")]
public sealed record StartSession(
    Projects.ProjectTerms Project,
    string Description,
    Sessions.BeatKind Previous,
    Guid? AgentId = null,
    string EnvironmentJson = "{}");

[GenerateSerializer, Immutable, Alias("hd.SessionStarted")]
public sealed record SessionStarted(Sessions.SessionState Session, Entries.TimeEntry? StoppedTimerEntry, Agents.AgentUpdates Updates);

[GenerateSerializer, Immutable, Alias("hd.StartTimer")]
public sealed record StartTimer(Projects.ProjectTerms Project, string Description, IReadOnlyList<string> Tags, bool Replace);

[GenerateSerializer, Immutable, Alias("hd.TimerStarted")]
public sealed record TimerStarted(RunningTimer Timer, Entries.TimeEntry? ReplacedEntry);
