using System.Collections.Concurrent;
using System.Diagnostics;

namespace Hourdini.Load;

/// <summary>What one kind of operation did during the measured window: count, latencies, refusals by status.</summary>
public sealed class OperationStats(string kind)
{
    private readonly List<int> _micros = [];
    private readonly Lock _gate = new();

    public string Kind { get; } = kind;

    public ConcurrentDictionary<int, int> ErrorsByStatus { get; } = new();

    public int Count { get { lock (_gate) { return _micros.Count; } } }

    public int Errors => ErrorsByStatus.Values.Sum();

    public void Record(long startTimestamp, long endTimestamp) =>
        Add((int)Math.Min(int.MaxValue, Stopwatch.GetElapsedTime(startTimestamp, endTimestamp).Ticks / 10));

    public void Add(int micros)
    {
        lock (_gate)
        {
            _micros.Add(micros);
        }
    }

    public void Fail(int status) => ErrorsByStatus.AddOrUpdate(status, 1, (_, n) => n + 1);

    /// <summary>Latency percentiles in milliseconds (p in 0..100).</summary>
    public double Percentile(double p)
    {
        int[] sorted;
        lock (_gate)
        {
            sorted = [.. _micros];
        }

        if (sorted.Length == 0)
        {
            return 0;
        }

        Array.Sort(sorted);
        var index = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)] / 1000.0;
    }

    public IEnumerable<int> Samples()
    {
        lock (_gate)
        {
            return [.. _micros];
        }
    }
}

/// <summary>All operation kinds of one run. Only calls that start inside the measured window count.</summary>
public sealed class Latencies
{
    private readonly ConcurrentDictionary<string, OperationStats> _kinds = new();

    public volatile bool Measuring;

    private long _slowest;

    private int _unavailableWithoutRetryAfter;

    /// <summary>503 answers that did not say when to retry (API.md requires <c>Retry-After</c>).</summary>
    public int UnavailableWithoutRetryAfter => Volatile.Read(ref _unavailableWithoutRetryAfter);

    public void UnavailableWithoutRetry() => Interlocked.Increment(ref _unavailableWithoutRetryAfter);

    private int _concurrentChanges;

    /// <summary>409 answers whose code is <c>concurrent_change</c>: a write lost its version check twice (issue 23).</summary>
    public int ConcurrentChanges => Volatile.Read(ref _concurrentChanges);

    public void ConcurrentChange() => Interlocked.Increment(ref _concurrentChanges);

    /// <summary>The longest any call took, answered or failed, measured or not (a hang shows here).</summary>
    public TimeSpan Slowest => TimeSpan.FromSeconds(Interlocked.Read(ref _slowest) / (double)Stopwatch.Frequency);

    public void Observe(long start, long end)
    {
        var took = end - start;
        for (var seen = Interlocked.Read(ref _slowest); took > seen; seen = Interlocked.Read(ref _slowest))
        {
            if (Interlocked.CompareExchange(ref _slowest, took, seen) == seen)
            {
                break;
            }
        }
    }

    /// <summary>
    /// How late the generator sent each measured call after it was due (or after its caller was ready, when the caller's
    /// previous call returned later than that: <see cref="Due.Ready"/>): part of every latency, but the generator's own
    /// delay (its timers and threads share the machine's cores with the server), not the server's.
    /// </summary>
    public OperationStats SendLag { get; } = new("send lag");

    public OperationStats this[string kind] => _kinds.GetOrAdd(kind, k => new OperationStats(k));

    public IReadOnlyList<OperationStats> Kinds => [.. _kinds.Values.OrderBy(k => k.Kind, StringComparer.Ordinal)];

    /// <summary>Every kind together, for the overall percentiles.</summary>
    public OperationStats All(Func<string, bool>? include = null)
    {
        var all = new OperationStats("all");
        foreach (var kind in _kinds.Values.Where(k => include?.Invoke(k.Kind) ?? true))
        {
            foreach (var micros in kind.Samples())
            {
                all.Add(micros);
            }

            foreach (var (status, n) in kind.ErrorsByStatus)
            {
                all.ErrorsByStatus.AddOrUpdate(status, n, (_, m) => m + n);
            }
        }

        return all;
    }
}
