using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Hourdini.Silo.Storage;

/// <summary>
/// The group committer's own measures (issue 28), on the <c>Hourdini</c> meter that <c>/metrics</c> exports: how many
/// grain writes share a transaction, how long a write waits for its group to start, and how long a group's commit takes.
/// Recording is a few lock-free additions per group; nothing is recorded while no listener is attached.
/// </summary>
public static class StorageMetrics
{
    public const string MeterName = "Hourdini";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Histogram<int> GroupSize = Meter.CreateHistogram<int>(
        "hourdini.storage.group.size", "{write}", "Grain writes committed together in one transaction (group commit).");

    public static readonly Histogram<double> GroupWait = Meter.CreateHistogram<double>(
        "hourdini.storage.group.wait", "ms", "Time a grain write waits before its group's commit starts.");

    public static readonly Histogram<double> GroupCommit = Meter.CreateHistogram<double>(
        "hourdini.storage.group.commit", "ms", "Time one group's commit takes, from its first statement to PostgreSQL's answer.");

    public static long Now() => Stopwatch.GetTimestamp();

    public static double MillisecondsSince(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}
