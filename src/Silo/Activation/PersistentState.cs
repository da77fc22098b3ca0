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

    /// <summary>After the grain took part in <paramref name="turn"/>: unless it wrote there, checks the version it read.</summary>
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

    private long _stagedIn;

    public TState State { get; set; } = new();

    public bool RecordExists { get; private set; }

    public long Version { get; private set; }

    public async Task ReadAsync(CancellationToken cancellationToken)
    {
        var stored = await storage.ReadAsync(key, cancellationToken);
        _persisted = stored.State;
        State = stored.State ?? new TState();
        Version = stored.Version;
        RecordExists = stored.State is not null;
    }

    public Task WriteStateAsync()
    {
        var turn = TurnTransaction.Current
            ?? throw new InvalidOperationException("WriteStateAsync was called outside a grain turn.");
        storage.StageWrite(turn, key, State, _persisted, Version);
        turn.Enlist(owner);
        _stagedIn = turn.Id;

        // Optimistic: if the turn does not commit, this activation is dropped and nothing here survives.
        Version++;
        RecordExists = true;
        _persisted = State;
        return Task.CompletedTask;
    }

    public void StageCheck(TurnTransaction turn)
    {
        if (_stagedIn == turn.Id || !RecordExists)
        {
            return;
        }

        storage.StageCheck(turn, key, Version);
        turn.Enlist(owner);
        _stagedIn = turn.Id;
    }
}
