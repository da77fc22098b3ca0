using System.Collections.Concurrent;

namespace Hourdini.Load;

/// <summary>
/// Everything the API acknowledged during a run (a 2xx answer). After the run the verifier looks for
/// each of these in PostgreSQL: an acknowledged operation that is not there is a lost write.
/// </summary>
public sealed class Ledger
{
    public ConcurrentBag<Guid> Orgs { get; } = [];

    public ConcurrentBag<Guid> StartedSessions { get; } = [];

    /// <summary>Sessions the API said it ended, with the entry it said it wrote (null when nothing was billable).</summary>
    public ConcurrentBag<(Guid Session, Guid? Entry)> EndedSessions { get; } = [];

    /// <summary>Each acknowledged log: the session, the event's number, and the (unique) message sent.</summary>
    public ConcurrentBag<(Guid Session, int Seq, string Message)> Logs { get; } = [];

    /// <summary>Each acknowledged beat that changed the session: the kind and when the new beat began.</summary>
    public ConcurrentBag<(Guid Session, string Kind, DateTime Since)> Beats { get; } = [];

    /// <summary>Entries returned by stopping a timer.</summary>
    public ConcurrentBag<Guid> TimerEntries { get; } = [];

    public int Acknowledged =>
        StartedSessions.Count + EndedSessions.Count + Logs.Count + Beats.Count + TimerEntries.Count;
}
