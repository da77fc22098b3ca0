using System.Collections.Concurrent;
using Hourdini.Grains.Common;
using Hourdini.Grains.Hosting;
using Hourdini.Silo.Activation;
using Hourdini.Silo.Storage.Memory;
using Microsoft.Extensions.DependencyInjection;

namespace Hourdini.Silo.Tests;

public sealed record CounterState
{
    public int Value { get; init; }
}

public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> IncrementAsync();

    Task<int> GetAsync();

    /// <summary>Records its argument after yielding mid-turn; fails the test if another call is inside.</summary>
    Task EnterAsync(int n);

    Task IncrementThenFailAsync();

    /// <summary>Increments, then asks to be deactivated once idle (like a session that has just stopped).</summary>
    Task<int> IncrementThenGoAsync();

    Task RefuseAsync();

    /// <summary>Raises the value to at least <paramref name="value"/>; writes nothing when it already is (a no-op, like a repeated beat).</summary>
    Task<int> RaiseToAsync(int value);

    /// <summary>Answers from its key alone, never looking at its state (like a log, which never reads its user's state).</summary>
    Task<string> NameAsync();
}

public interface IParentGrain : IGrainWithStringKey
{
    Task<int> IncrementChildAsync(string child);

    Task IncrementChildThenFailAsync(string child);

    Task<int> IncrementChildThenLetItGoAsync(string child);

    Task<int> RaiseChildAsync(string child, int value);

    /// <summary>Looks at its child's value in one call and, when <paramref name="thenIncrement"/>, changes it in a second call of the same turn.</summary>
    Task<int> LookAtChildAsync(string child, bool thenIncrement);
}

/// <summary>What the test grains report back to the tests.</summary>
public sealed class Probe
{
    public ConcurrentDictionary<string, int> Activations { get; } = new();

    public ConcurrentQueue<int> Order { get; } = new();

    public int InFlight;
    public int MaxInFlight;
}

public sealed class CounterGrain : ICounterGrain
{
    private readonly IPersistentState<CounterState> _state;
    private readonly Probe _probe;

    private readonly IGrainContext _context;

    private readonly string _key;

    public CounterGrain(IGrainContext context, IPersistentState<CounterState> state, Probe probe)
    {
        _context = context;
        _key = context.Key;
        _state = state;
        _probe = probe;
        probe.Activations.AddOrUpdate(context.Key, 1, (_, n) => n + 1);
    }

    public async Task<int> IncrementAsync()
    {
        _state.State = _state.State with { Value = _state.State.Value + 1 };
        await _state.WriteStateAsync();
        return _state.State.Value;
    }

    public Task<int> GetAsync() => Task.FromResult(_state.State.Value);

    public Task<string> NameAsync() => Task.FromResult(_key);

    public async Task EnterAsync(int n)
    {
        var inside = Interlocked.Increment(ref _probe.InFlight);
        InterlockedMax(ref _probe.MaxInFlight, inside);
        await Task.Yield();
        _probe.Order.Enqueue(n);
        await Task.Delay(n % 50 == 0 ? 1 : 0);
        Interlocked.Decrement(ref _probe.InFlight);
    }

    public async Task IncrementThenFailAsync()
    {
        await IncrementAsync();
        throw new InvalidOperationException("boom after writing");
    }

    public async Task<int> IncrementThenGoAsync()
    {
        var value = await IncrementAsync();
        _context.DeactivateOnIdle();
        return value;
    }

    public Task RefuseAsync() => throw Refusal.Conflict("refused", "no");

    public async Task<int> RaiseToAsync(int value)
    {
        if (_state.State.Value < value)
        {
            _state.State = _state.State with { Value = value };
            await _state.WriteStateAsync();
        }

        return _state.State.Value;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}

public sealed class ParentGrain(IGrainContext context, IPersistentState<CounterState> state) : IParentGrain
{
    public async Task<int> IncrementChildAsync(string child)
    {
        var value = await context.GrainFactory.GetGrain<ICounterGrain>(child).IncrementAsync();
        state.State = state.State with { Value = state.State.Value + 1 };
        await state.WriteStateAsync();
        return value;
    }

    public async Task<int> IncrementChildThenLetItGoAsync(string child)
    {
        var value = await context.GrainFactory.GetGrain<ICounterGrain>(child).IncrementThenGoAsync();
        state.State = state.State with { Value = state.State.Value + 1 };
        await state.WriteStateAsync();
        return value;
    }

    public async Task<int> RaiseChildAsync(string child, int value)
    {
        var raised = await context.GrainFactory.GetGrain<ICounterGrain>(child).RaiseToAsync(value);
        state.State = state.State with { Value = state.State.Value + 1 };
        await state.WriteStateAsync();
        return raised;
    }

    public async Task<int> LookAtChildAsync(string child, bool thenIncrement)
    {
        var counter = context.GrainFactory.GetGrain<ICounterGrain>(child);
        var seen = await counter.GetAsync();
        return thenIncrement ? await counter.IncrementAsync() : seen;
    }

    public async Task IncrementChildThenFailAsync(string child)
    {
        await context.GrainFactory.GetGrain<ICounterGrain>(child).IncrementAsync();
        throw new InvalidOperationException("the parent's turn fails after its child wrote");
    }
}

public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

public sealed class TestSilo
{
    public TestSilo(bool everyReadGoesStale = false, Func<IStorageBackend, IStorageBackend>? wrap = null)
    {
        var backend = new MemoryStorage();
        Storage = new MemoryGrainStorage<CounterState>(backend);
        Recorder = new RecordingStorage(everyReadGoesStale ? new AlwaysStaleStorage(Storage) : Storage);
        IGrainStorage<CounterState> storage = Recorder;
        var services = new ServiceCollection()
            .AddSingleton(storage)
            .AddSingleton(Probe)
            .BuildServiceProvider();
        Runtime = new GrainRuntime(
            services,
            wrap?.Invoke(backend) ?? backend,
            new GrainTypeMap().Add<ICounterGrain, CounterGrain>().Add<IParentGrain, ParentGrain>(),
            new ActivationOptions { IdleTimeout = TimeSpan.FromMinutes(15) },
            Clock);
    }

    public ManualClock Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public Probe Probe { get; } = new();

    public MemoryGrainStorage<CounterState> Storage { get; }

    /// <summary>Counts the reads and the version checks the activations ask of the storage.</summary>
    public RecordingStorage Recorder { get; }

    public GrainRuntime Runtime { get; }

    public ICounterGrain Counter(string key) => Runtime.GetGrain<ICounterGrain>(key);
}

/// <summary>Passes everything on, and counts reads and version checks by key.</summary>
public sealed class RecordingStorage(IGrainStorage<CounterState> inner) : IGrainStorage<CounterState>
{
    public ConcurrentDictionary<string, int> Reads { get; } = new();

    public ConcurrentDictionary<string, int> Checks { get; } = new();

    public Task<StoredState<CounterState>> ReadAsync(string key, CancellationToken cancellationToken)
    {
        Reads.AddOrUpdate(key, 1, (_, n) => n + 1);
        return inner.ReadAsync(key, cancellationToken);
    }

    public void StageWrite(TurnTransaction turn, string key, CounterState state, CounterState? persisted, long expectedVersion) =>
        inner.StageWrite(turn, key, state, persisted, expectedVersion);

    public void StageCheck(TurnTransaction turn, string key, long version) => Checks.AddOrUpdate(key, 1, (_, n) => n + 1);
}

/// <summary>Another writer moves the version on right after every read, so every write is stale.</summary>
public sealed class AlwaysStaleStorage(MemoryGrainStorage<CounterState> inner) : IGrainStorage<CounterState>
{
    public async Task<StoredState<CounterState>> ReadAsync(string key, CancellationToken cancellationToken)
    {
        var stored = await inner.ReadAsync(key, cancellationToken);
        inner.WriteBehindTheActivation(key, stored.State ?? new CounterState());
        return stored;
    }

    public void StageWrite(TurnTransaction turn, string key, CounterState state, CounterState? persisted, long expectedVersion) =>
        inner.StageWrite(turn, key, state, persisted, expectedVersion);
}

/// <summary>Holds the first commit until the test opens the gate, and can make it fail.</summary>
public sealed class GatedBackend(IStorageBackend inner, bool failFirst = false) : IStorageBackend
{
    private int _commits;

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Commits => Volatile.Read(ref _commits);

    public async Task CommitAsync(IReadOnlyList<IStagedWrite> writes, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _commits) == 1)
        {
            await Gate.Task;
            if (failFirst)
            {
                throw new InconsistentStateException("Another node wrote first.");
            }
        }

        await inner.CommitAsync(writes, cancellationToken);
    }
}
