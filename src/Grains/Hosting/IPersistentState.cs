namespace Hourdini.Grains.Hosting;

/// <summary>
/// A grain's durable state, injected through its constructor. <see cref="Version"/> is the ETag:
/// a write made against a version that is no longer current fails, the host drops the activation
/// and retries the call once on a fresh one.
/// </summary>
public interface IPersistentState<TState> where TState : class, new()
{
    TState State { get; set; }

    bool RecordExists { get; }

    long Version { get; }

    /// <summary>
    /// Writes <see cref="State"/> as part of the current turn. The turn commits as one transaction
    /// together with every other write it made, before the caller sees the result.
    /// </summary>
    Task WriteStateAsync();
}
