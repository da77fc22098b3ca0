using System.Collections.Concurrent;
using System.Reflection;
using Hourdini.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Hourdini.Silo.Activation;

public sealed class ActivationOptions
{
    /// <summary>An activation with nothing to do for this long is collected (DESIGN.md: default 15 min).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan CollectionInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Hears of every root turn that committed writes, e.g. to tell other nodes' live pages.</summary>
public interface ICommitListener
{
    void Committed(GrainId grain);
}

/// <summary>Which class implements each grain interface.</summary>
public sealed class GrainTypeMap
{
    private readonly Dictionary<Type, Type> _classes = [];

    public GrainTypeMap Add<TInterface, TClass>()
        where TInterface : IGrainWithStringKey
        where TClass : class, TInterface
    {
        _classes[typeof(TInterface)] = typeof(TClass);
        return this;
    }

    internal Type ClassFor(Type grainInterface) =>
        _classes.TryGetValue(grainInterface, out var type)
            ? type
            : throw new InvalidOperationException($"No grain class is registered for {grainInterface.Name}.");
}

/// <summary>
/// The activation layer: at most one activation per grain id in this process, created on the first
/// call, collected when idle, dropped and retried once when its state turns out to be stale.
/// </summary>
public sealed class GrainRuntime(
    IServiceProvider services,
    IStorageBackend backend,
    GrainTypeMap types,
    ActivationOptions options,
    TimeProvider clock) : IGrainFactory
{
    private readonly ConcurrentDictionary<GrainId, Activation> _activations = new();
    private ICommitListener[]? _listeners;

    internal IStorageBackend Backend { get; } = backend;

    internal TimeProvider Clock { get; } = clock;

    public ActivationOptions Options { get; } = options;

    public int ActivationCount => _activations.Count;

    /// <summary>Whether this process holds an activation of the grain now.</summary>
    public bool IsActive<TGrain>(string key) where TGrain : IGrainWithStringKey => _activations.ContainsKey(new GrainId(typeof(TGrain), key));

    public TGrain GetGrain<TGrain>(string key) where TGrain : IGrainWithStringKey =>
        GrainReference.Create<TGrain>(this, new GrainId(typeof(TGrain), key));

    public TGrain GetNewGrain<TGrain>(string key) where TGrain : IGrainWithStringKey =>
        GrainReference.Create<TGrain>(this, new GrainId(typeof(TGrain), key), minted: true);

    /// <summary>Collects every activation idle for longer than the idle timeout; returns how many.</summary>
    public int CollectIdle()
    {
        var cutoff = Clock.GetUtcNow() - Options.IdleTimeout;
        var collected = 0;
        foreach (var (id, activation) in _activations)
        {
            if (activation.TryCollect(cutoff) && _activations.TryRemove(KeyValuePair.Create(id, activation)))
            {
                collected++;
            }
        }

        return collected;
    }

    /// <param name="minted">The key was just minted (<see cref="GetNewGrain{TGrain}"/>): an activation created for this call
    /// starts empty instead of reading. If a record existed after all, its first write fails on the version check and
    /// the call is retried on an activation that reads.</param>
    internal async Task<T> InvokeAsync<T>(GrainId id, Func<object, Task<T>> call, bool minted = false)
    {
        var caller = TurnTransaction.Current;
        var retried = false;
        while (true)
        {
            var activation = _activations.GetOrAdd(
                id, static (grainId, arguments) => new Activation(arguments.Runtime, grainId, arguments.Minted), (Runtime: this, Minted: minted));
            minted = false;
            var item = new WorkItem(async grain => await call(grain), caller);
            if (!activation.TryEnqueue(item))
            {
                _activations.TryRemove(KeyValuePair.Create(id, activation));
                continue;
            }

            try
            {
                return (T)(await item.Completion)!;
            }
            catch (ActivationDroppedException)
            {
            }
            catch (InconsistentStateException) when (caller is null && !retried)
            {
                // DESIGN.md: the stale activation is gone; retry once on a fresh one.
                retried = true;
            }
        }
    }

    /// <summary>A root turn of <paramref name="id"/> committed writes; tells the listeners (after the commit, never inside it).</summary>
    internal void Committed(GrainId id)
    {
        foreach (var listener in _listeners ??= [.. services.GetServices<ICommitListener>()])
        {
            listener.Committed(id);
        }
    }

    internal void Drop(Activation activation)
    {
        activation.Drop();
        _activations.TryRemove(KeyValuePair.Create(activation.Id, activation));
    }

    /// <param name="read">False for a just-minted key: its states start empty (no record, version 0) without a read.</param>
    internal async Task<object> CreateGrainAsync(GrainId id, Activation activation, bool read)
    {
        var type = types.ClassFor(id.Interface);
        var constructor = type.GetConstructors().Single();
        var states = new List<IActivationState>();
        var arguments = constructor.GetParameters().Select(parameter => Resolve(parameter.ParameterType)).ToArray();
        foreach (var state in read ? states : [])
        {
            await state.ReadAsync(CancellationToken.None);
        }

        return constructor.Invoke(BindingFlags.DoNotWrapExceptions, null, arguments, null);

        object Resolve(Type wanted)
        {
            if (wanted == typeof(IGrainContext))
            {
                return new GrainContext(id.Key, this, activation);
            }

            if (wanted.IsGenericType && wanted.GetGenericTypeDefinition() == typeof(IPersistentState<>))
            {
                var stateType = wanted.GetGenericArguments()[0];
                var storage = services.GetRequiredService(typeof(IGrainStorage<>).MakeGenericType(stateType));
                var state = (IActivationState)Activator.CreateInstance(
                    typeof(PersistentState<>).MakeGenericType(stateType), storage, id.Key, activation)!;
                states.Add(state);
                return state;
            }

            return services.GetRequiredService(wanted);
        }
    }

    /// <summary>Removes an activation that asked to go (<see cref="IGrainContext.DeactivateOnIdle"/>) once it may.</summary>
    internal void Deactivated(Activation activation) => _activations.TryRemove(KeyValuePair.Create(activation.Id, activation));

    private sealed record GrainContext(string Key, IGrainFactory GrainFactory, Activation Activation) : IGrainContext
    {
        public void DeactivateOnIdle() => Activation.DeactivateOnIdle();
    }
}
