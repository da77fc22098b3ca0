using Hourdini.Silo.Activation;

namespace Hourdini.Silo.Storage.Memory;

/// <summary>
/// In-memory grain storage, for unit tests of the activation layer only. It is not durable and a
/// server must never run on it (<see cref="SiloExtensions"/> refuses to).
/// </summary>
public sealed class MemoryStorage : IStorageBackend
{
    internal Lock Gate { get; } = new();

    public Task CommitAsync(IReadOnlyList<IStagedWrite> writes, CancellationToken cancellationToken)
    {
        lock (Gate)
        {
            var applied = new Stack<Action>();
            foreach (MemoryWrite write in writes)
            {
                if (!write.TryApply(out var undo))
                {
                    while (applied.TryPop(out var rollback))
                    {
                        rollback();
                    }

                    throw new InconsistentStateException("Version conflict in memory storage.");
                }

                applied.Push(undo);
            }
        }

        return Task.CompletedTask;
    }

    internal delegate bool TryApplyWrite(out Action undo);

    internal sealed record MemoryWrite(TryApplyWrite TryApply) : IStagedWrite;
}

public sealed class MemoryGrainStorage<TState>(MemoryStorage backend) : IGrainStorage<TState>
    where TState : class, new()
{
    private readonly Dictionary<string, (TState State, long Version)> _rows = [];

    public Task<StoredState<TState>> ReadAsync(string key, CancellationToken cancellationToken)
    {
        lock (backend.Gate)
        {
            return Task.FromResult(_rows.TryGetValue(key, out var row)
                ? new StoredState<TState>(row.State, row.Version)
                : new StoredState<TState>(null, 0));
        }
    }

    public void StageWrite(TurnTransaction turn, string key, TState state, TState? persisted, long expectedVersion)
    {
        turn.Stage(new MemoryStorage.MemoryWrite((out Action undo) =>
        {
            var had = _rows.TryGetValue(key, out var before);
            undo = () =>
            {
                if (had)
                {
                    _rows[key] = before;
                }
                else
                {
                    _rows.Remove(key);
                }
            };
            if ((had ? before.Version : 0) != expectedVersion)
            {
                return false;
            }

            _rows[key] = (state, expectedVersion + 1);
            return true;
        }));
    }

    /// <summary>Simulates another node writing: bumps the stored version behind every activation's back.</summary>
    public void WriteBehindTheActivation(string key, TState state)
    {
        lock (backend.Gate)
        {
            var version = _rows.TryGetValue(key, out var row) ? row.Version : 0;
            _rows[key] = (state, version + 1);
        }
    }
}
