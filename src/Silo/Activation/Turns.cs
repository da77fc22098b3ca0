namespace Hourdini.Silo.Activation;

/// <summary>A write a grain staged during a turn; its shape belongs to the storage backend that commits it.</summary>
public interface IStagedWrite;

/// <summary>Commits every write of one turn atomically, or throws <see cref="InconsistentStateException"/>.</summary>
public interface IStorageBackend
{
    Task CommitAsync(IReadOnlyList<IStagedWrite> writes, CancellationToken cancellationToken);
}

/// <summary>
/// The writes of one root turn and of every grain it called. They commit together when the root
/// turn's method returns, before its caller sees the result; if the commit or the turn fails, every
/// activation that staged a write is dropped, since its memory is ahead of the database.
/// </summary>
public sealed class TurnTransaction
{
    private static readonly AsyncLocal<TurnTransaction?> CurrentTurn = new();
    private static long _lastId;
    private readonly List<IStagedWrite> _writes = [];
    private readonly HashSet<Activation> _enlisted = [];
    private readonly List<IActivationState> _read = [];

    /// <summary>The turn running on this logical call path, if any.</summary>
    public static TurnTransaction? Current
    {
        get => CurrentTurn.Value;
        internal set => CurrentTurn.Value = value;
    }

    /// <summary>Names the turn without holding it (an idle activation must not keep its last turn's writes alive).</summary>
    public long Id { get; } = Interlocked.Increment(ref _lastId);

    public IReadOnlyList<IStagedWrite> Writes => _writes;

    public void Stage(IStagedWrite write) => _writes.Add(write);

    internal IReadOnlyCollection<Activation> Enlisted => _enlisted;

    /// <summary>Every state this turn read, in any grain it called, in the order first read.</summary>
    internal IReadOnlyList<IActivationState> Read => _read;

    internal void Enlist(Activation activation)
    {
        if (_enlisted.Add(activation))
        {
            activation.Enlisted();
        }
    }

    /// <summary>The root turn committed, failed or was dropped: its grains are no longer waiting on it.</summary>
    internal void Settle()
    {
        foreach (var activation in _enlisted)
        {
            activation.Settled();
        }
    }

    internal void NoteRead(IActivationState state) => _read.Add(state);
}

/// <summary>A write was made against a state version that is no longer current (the ETag check failed).</summary>
public sealed class InconsistentStateException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The activation a call was queued on was dropped before the call ran; the call goes to a fresh one.</summary>
internal sealed class ActivationDroppedException() : Exception("The activation was dropped.");
