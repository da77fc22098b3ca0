using Hourdini.Grains.Agents;
using Hourdini.Grains.Entries;
using Hourdini.Grains.Hosting;
using Hourdini.Grains.Sessions;

namespace Hourdini.Grains.Users;

/// <summary>
/// A user within one org (key: org/user). Every change to the user's live tracking state is one turn
/// here and commits as one transaction, which is how "one active beat per user" (R3) holds.
/// </summary>
public interface IUserGrain : IGrainWithStringKey
{
    Task<SessionStarted> StartSessionAsync(StartSession command);

    /// <summary>
    /// Changes a session's beat. <paramref name="agentId"/> is the calling agent, if an agent calls:
    /// it may act only on its own sessions.
    /// </summary>
    Task<SessionState> BeatAsync(Guid sessionId, BeatKind kind, BeatKind previous, Guid? agentId);

    Task<SessionEnded> EndSessionAsync(Guid sessionId, Guid? agentId);

    Task<SessionEvent> LogAsync(Guid sessionId, string message, Guid? taskId, Guid? agentId);

    /// <summary>Changes a task; a status change is recorded in the session the caller is working in (R13).</summary>
    Task<AgentTask> ChangeTaskAsync(Guid taskId, TaskChange change, Guid? agentId);

    /// <summary>R12: what is new for the agent, marked as pulled.</summary>
    Task<AgentUpdates> PullUpdatesAsync(Guid agentId);

    /// <summary>
    /// R15: stops the agent session at its last-heard time if its lease has run out; null when the
    /// session is gone, already stopped, or was heard from again in the meantime.
    /// </summary>
    Task<SessionEnded?> AutoStopAsync(Guid sessionId, int leaseSeconds);

    Task<TimerStarted> StartTimerAsync(StartTimer command);

    /// <summary>Stops the running timer and returns its entry (R17).</summary>
    Task<TimeEntry> StopTimerAsync();
}
