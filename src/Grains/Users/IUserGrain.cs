using Hourdini.Grains.Agents;
using Hourdini.Grains.Entries;
using Hourdini.Grains.Sessions;

namespace Hourdini.Grains.Users;

/// <summary>
/// A user within one org (key: org/user). Every change to the user's focus (R3) is one turn here: Orleans keeps one
/// activation of it across the cluster and runs its turns one at a time, and the turn orders its writes so that every
/// committed moment is safe (demote before promote). It calls the user's session grains; they never call it back.
/// </summary>
[Alias("hd.IUserGrain")]
public interface IUserGrain : IGrainWithStringKey
{
    [Alias("StartSession")]
    Task<SessionStarted> StartSessionAsync(StartSession command);

    /// <summary>
    /// Changes a session's beat. <paramref name="agentId"/> is the calling agent, if an agent calls:
    /// it may act only on its own sessions.
    /// </summary>
    [Alias("Beat")]
    Task<SessionState> BeatAsync(Guid sessionId, BeatKind kind, BeatKind previous, Guid? agentId);

    [Alias("EndSession")]
    Task<SessionEnded> EndSessionAsync(Guid sessionId, Guid? agentId);

    /// <summary>Changes a task; a status change is recorded in the session the caller is working in (R13).</summary>
    [Alias("ChangeTask")]
    Task<AgentTask> ChangeTaskAsync(Guid taskId, TaskChange change, Guid? agentId);

    /// <summary>R12: what is new for the agent, marked as pulled.</summary>
    [Alias("PullUpdates")]
    Task<AgentUpdates> PullUpdatesAsync(Guid agentId);

    /// <summary>
    /// R15: stops the agent session at its last-heard time if its lease has run out; null when the
    /// session is gone, already stopped, or was heard from again in the meantime.
    /// </summary>
    [Alias("AutoStop")]
    Task<SessionEnded?> AutoStopAsync(Guid sessionId, int leaseSeconds);

    [Alias("StartTimer")]
    Task<TimerStarted> StartTimerAsync(StartTimer command);

    /// <summary>Stops the running timer and returns its entry (R17).</summary>
    [Alias("StopTimer")]
    Task<TimeEntry> StopTimerAsync();
}
