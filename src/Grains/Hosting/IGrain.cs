namespace Hourdini.Grains.Hosting;

/// <summary>Marker for a grain interface. Every method returns <see cref="Task"/> and runs as one turn.</summary>
public interface IGrain;

/// <summary>A grain addressed by a string key (Orleans' <c>IGrainWithStringKey</c>).</summary>
public interface IGrainWithStringKey : IGrain;

/// <summary>Hands out references to grains; the host decides where and when they are activated.</summary>
public interface IGrainFactory
{
    TGrain GetGrain<TGrain>(string key) where TGrain : IGrainWithStringKey;

    /// <summary>
    /// A grain whose key the caller has just minted (a new random id): nothing can be stored under it yet, so the
    /// host may skip reading its state when it activates it (issue 6: a start costs one round trip less).
    /// </summary>
    TGrain GetNewGrain<TGrain>(string key) where TGrain : IGrainWithStringKey => GetGrain<TGrain>(key);
}

/// <summary>What a grain may know about itself: its key and how to reach other grains.</summary>
public interface IGrainContext
{
    string Key { get; }
    IGrainFactory GrainFactory { get; }

    /// <summary>
    /// Orleans' <c>DeactivateOnIdle</c>: the host may let this activation go once it has nothing queued and every
    /// transaction it took part in has committed; the next call activates the grain again from storage. For a grain
    /// that will not change again (a stopped session), so it does not hold memory until the idle timeout.
    /// </summary>
    void DeactivateOnIdle();
}
