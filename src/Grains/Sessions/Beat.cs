namespace Hourdini.Grains.Sessions;

/// <summary>One stretch of a session's life with one driver. <see cref="EndedAt"/> is null while it runs.</summary>
[GenerateSerializer, Immutable, Alias("hd.Beat")]
public sealed record Beat(BeatKind Kind, DateTimeOffset StartedAt, DateTimeOffset? EndedAt)
{
    public bool IsOpen => EndedAt is null;

    public long MillisecondsUpTo(DateTimeOffset now) =>
        Math.Max(0, (long)((EndedAt ?? now) - StartedAt).TotalMilliseconds);
}

/// <summary>
/// Milliseconds per beat kind, summed exactly; seconds are taken by rounding down once (R10).
/// </summary>
public readonly record struct BeatTotals(long ActiveMs, long AgentMs, long IdleMs)
{
    public long ActiveSeconds => ActiveMs / 1000;

    public long AgentSeconds => AgentMs / 1000;

    public long IdleSeconds => IdleMs / 1000;

    /// <summary>R6: active time, plus agent time when the session bills it.</summary>
    public long BillableSeconds(bool billAgentTime) => (ActiveMs + (billAgentTime ? AgentMs : 0)) / 1000;
}
