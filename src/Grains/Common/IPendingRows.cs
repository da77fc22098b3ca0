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
}
