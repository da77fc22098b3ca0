using Hourdini.Grains.Common;
using Hourdini.Grains.Users;
using Orleans.Runtime;

namespace Hourdini.StorageBench;

/// <summary>A grain whose every call flips its user's timer and writes the whole state.</summary>
public interface IStorageBenchGrain : IGrainWithStringKey
{
    Task FlipAsync();
}

[Alias("hd.bench.ITrackingBenchGrain")]
public interface ITrackingBenchGrain : IStorageBenchGrain;

[Alias("hd.bench.IDocumentBenchGrain")]
public interface IDocumentBenchGrain : IStorageBenchGrain;

/// <summary>The user's state through our storage: the user_tracking row, version-checked, group-committed.</summary>
public sealed class TrackingBenchGrain([PersistentState("user", StorageNames.Tracking)] IPersistentState<UserState> state)
    : Grain, ITrackingBenchGrain
{
    public Task FlipAsync() => Flip.WriteAsync(state);
}

/// <summary>The same state through Orleans' ADO.NET provider: a JSON document in OrleansStorage, one transaction per write.</summary>
public sealed class DocumentBenchGrain([PersistentState("user", StorageNames.Documents)] IPersistentState<UserState> state)
    : Grain, IDocumentBenchGrain
{
    public Task FlipAsync() => Flip.WriteAsync(state);
}

internal static class Flip
{
    private static readonly Guid Project = Guid.NewGuid();

    public static Task WriteAsync(IPersistentState<UserState> state)
    {
        state.State = state.State with
        {
            Timer = state.State.Timer is null ? new RunningTimer(Guid.CreateVersion7(), Project, "bench", ["a"], DateTimeOffset.UtcNow, 100, "EUR") : null,
        };
        return state.WriteStateAsync();
    }
}
