namespace Hourdini.Grains.Common;

/// <summary>
/// Rows a grain's turn writes beside its own state: an entry, timeline events, a task, pulled marks. The ports that make
/// them (<see cref="Entries.ITimeEntryLedger"/>, <see cref="Sessions.ISessionJournal"/>, the agent ports) stage them
/// per activation, and they commit in the same transaction as that grain's next state write, so a stopped timer or an
/// ended session never exists without its entry (R6, R17). A turn that writes no state commits them with
/// <see cref="SaveAsync"/>. Nothing staged survives a failed write: the activation is dropped with it.
/// </summary>
public interface IPendingRows
{
    /// <summary>Commits the rows staged so far, alone, in one transaction.</summary>
    Task SaveAsync();

    /// <summary>
    /// The answer this call gives, staged with the write that follows, when the call serves a keyed request
    /// (<see cref="IdempotentRequest"/>): a retry of the request after a crash gets it back instead of running the call
    /// again. <paramref name="step"/> names a write before the last one whose result the call's answer includes.
    /// </summary>
    void Remember<T>(T answer, string? step = null);

    /// <summary>What <see cref="Remember{T}"/> recorded for <paramref name="step"/> of this call when the request ran before.</summary>
    bool TryRecalled<T>(string step, out T answer);
}
