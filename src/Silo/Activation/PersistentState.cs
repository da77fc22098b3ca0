using Hourdini.Grains.Hosting;

namespace Hourdini.Silo.Activation;

/// <summary>A state as read back from storage.</summary>
public readonly record struct StoredState<TState>(TState? State, long Version);

/// <summary>Reads a grain state and stages its writes into the current turn.</summary>
public interface IGrainStorage<TState> where TState : class, new()
{
    Task<StoredState<TState>> ReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Stages a write of <paramref name="state"/> that succeeds only if the stored version is still
    /// <paramref name="expectedVersion"/> (0: no record yet). <paramref name="persisted"/> is the state
    /// as last stored, so a storage can write only what changed.
    /// </summary>
    void StageWrite(TurnTransaction turn, string key, TState state, TState? persisted, long expectedVersion);

    /// <summary>
    /// Stages a check, in the turn's transaction, that the stored version is still <paramref name="version"/>: a turn
    /// that read this state without writing it (a no-op, a refusal that still commits other writes, an answer) must
    /// not commit or answer on a state another node has changed since (issue 7). Storage shared by one process only
    /// (the in-memory one) needs no check.
    /// </summary>
    void StageCheck(TurnTransaction turn, string key, long version)
    {
    }
}

internal interface IActivationState
{
    Task ReadAsync(CancellationToken cancellationToken);

    /// <summary>When <paramref name="turn"/> ends: if it read this state and did not write it, checks the version it read.</summary>
    void StageCheck(TurnTransaction turn);
}

/// <summary>
/// States are immutable records that grains replace, never mutate, so the object staged for writing
/// is exactly what commits.
/// </summary>
internal sealed class PersistentState<TState>(IGrainStorage<TState> storage, string key, Activation owner)
    : IPersistentState<TState>, IActivationState
    where TState : class, new()
{
    private TState? _persisted;
    private TState _state = new();
    private bool _recordExists;

    private long _stagedIn;

    private long _readIn;

    /// <summary>The state; reading it inside a turn makes that turn's decision rest on it (see <see cref="StageCheck"/>).</summary>
    public TState State
    {
        get
        {
            Touch();
            return _state;
        }
        set => _state = value;
    }

    public bool RecordExists
    {
        get
        {
            Touch();
            return _recordExists;
        }
        private set => _recordExists = value;
    }

    public long Version { get; private set; }

    public async Task ReadAsync(CancellationToken cancellationToken)
    {
        var stored = await storage.ReadAsync(key, cancellationToken);
        _persisted = stored.State;
        _state = stored.State ?? new TState();
        Version = stored.Version;
        _recordExists = stored.State is not null;
    }

    public Task WriteStateAsync()
    {
        var turn = TurnTransaction.Current
            ?? throw new InvalidOperationException("WriteStateAsync was called outside a grain turn.");
        storage.StageWrite(turn, key, _state, _persisted, Version);
        turn.Enlist(owner);
        _stagedIn = turn.Id;

        // Optimistic: if the turn does not commit, this activation is dropped and nothing here survives.
        Version++;
        _recordExists = true;
        _persisted = _state;
        return Task.CompletedTask;
    }

    /// <summary>
    /// Checks the version only if the turn read this state and did not write it: a turn that never looked at it
    /// (a log never reads its user's state) decided nothing on it, and needs neither the check nor its row lock.
    /// </summary>
    public void StageCheck(TurnTransaction turn)
    {
        if (_stagedIn == turn.Id || _readIn != turn.Id || !_recordExists)
        {
            return;
        }

        storage.StageCheck(turn, key, Version);
        turn.Enlist(owner);
        _stagedIn = turn.Id;
    }

    private void Touch()
    {
        if (TurnTransaction.Current is { } turn && _readIn != turn.Id)
        {
            _readIn = turn.Id;
            turn.NoteRead(this);
        }
    }
}
