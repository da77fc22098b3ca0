using System.Diagnostics;
using System.Globalization;

namespace Hourdini.Load;

/// <summary>
/// The whole machine's CPU time so far, from <c>/proc/stat</c> (Linux), in its clock ticks (USER_HZ): how long its cores
/// sat idle (or waiting for I/O), and what the host took for something else while a core wanted to run (<em>steal</em>,
/// on a virtual machine), with how many cores there are and when it was read. On these machines steal went from 0 to
/// over 30 % within an hour, and a run's tail with it, so each run reports it (docs/BENCHMARKS.md, round 8).
/// <para>
/// Busy time is what is left of the wall clock: the kernel times idle exactly (a tickless idle core counts its idle
/// time on waking) but counts busy time by sampling who runs at each scheduler tick (<c>CONFIG_TICK_CPU_ACCOUNTING</c>,
/// 250 Hz here). A light load of short bursts, each over before the next tick, is mostly never sampled: the trivial
/// endpoint at 3,876 calls/s read 2–6 % busy from the busy ticks and 21 % from the idle time (round 10).
/// </para>
/// </summary>
public readonly record struct CpuTimes(long Idle, long Steal, int Cores, long At)
{
    /// <summary>/proc/stat's unit on Linux, whatever the kernel's own tick rate.</summary>
    public const int TicksPerSecond = 100;

    /// <summary>Now, or null where there is no <c>/proc/stat</c>.</summary>
    public static CpuTimes? Read()
    {
        try
        {
            var lines = File.ReadAllLines("/proc/stat");
            var cores = lines.Count(l => l.Length > 3 && l.StartsWith("cpu", StringComparison.Ordinal) && char.IsAsciiDigit(l[3]));
            return Parse(lines.FirstOrDefault(), cores, Stopwatch.GetTimestamp());
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The aggregate line: <c>cpu user nice system idle iowait irq softirq steal guest guest_nice</c>, read at <paramref name="at"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public static CpuTimes? Parse(string? line, int cores, long at)
    {
        var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields is not { Length: >= 9 } || fields[0] != "cpu" || cores <= 0)
        {
            return null;
        }

        var ticks = new long[8];
        for (var i = 0; i < ticks.Length; i++)
        {
            if (!long.TryParse(fields[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out ticks[i]))
            {
                return null;
            }
        }

        return new CpuTimes(Idle: ticks[3] + ticks[4], Steal: ticks[7], cores, at);
    }

    /// <summary>
    /// Between two readings, as shares of what the cores could have done in the wall-clock time between them, in %: busy
    /// (neither idle nor taken by the host) and steal.
    /// </summary>
    public static (double BusyPercent, double StealPercent) Between(CpuTimes? start, CpuTimes? end)
    {
        if (start is not { } a || end is not { } b || b.At <= a.At)
        {
            return (0, 0);
        }

        var capacity = Stopwatch.GetElapsedTime(a.At, b.At).TotalSeconds * TicksPerSecond * a.Cores;
        double idle = b.Idle - a.Idle, steal = b.Steal - a.Steal;
        return (Math.Clamp(100 * (capacity - idle - steal) / capacity, 0, 100), Math.Clamp(100 * steal / capacity, 0, 100));
    }
}
