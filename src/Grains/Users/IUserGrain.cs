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

    Task<SessionState> BeatAsync(Guid sessionId, BeatKind kind, BeatKind previous);

    Task<SessionEnded> EndSessionAsync(Guid sessionId);

    Task<TimerStarted> StartTimerAsync(StartTimer command);

    /// <summary>Stops the running timer and returns its entry (R17).</summary>
    Task<TimeEntry> StopTimerAsync();
}
