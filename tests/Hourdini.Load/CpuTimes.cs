using System.Globalization;

namespace Hourdini.Load;

/// <summary>
/// The whole machine's CPU time so far, from the first line of <c>/proc/stat</c> (Linux), in clock ticks: what its cores
/// spent working (every process: the gateway, PostgreSQL and the generator share them), and what the host took for
/// something else while a core wanted to run (<em>steal</em>, on a virtual machine). On these machines steal went from 0
/// to over 30 % within an hour, and a run's tail with it, so each run reports both (docs/BENCHMARKS.md, round 8).
/// </summary>
public readonly record struct CpuTimes(long Busy, long Steal, long Total)
{
    /// <summary>Now, or null where there is no <c>/proc/stat</c>.</summary>
    public static CpuTimes? Read()
    {
        try
        {
            using var stat = new StreamReader("/proc/stat");
            return Parse(stat.ReadLine());
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

    /// <summary>The aggregate line: <c>cpu user nice system idle iowait irq softirq steal guest guest_nice</c> (guest time is inside user).</summary>
    public static CpuTimes? Parse(string? line)
    {
        var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields is not { Length: >= 9 } || fields[0] != "cpu")
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

        return new CpuTimes(Busy: ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6], Steal: ticks[7], Total: ticks.Sum());
    }

    /// <summary>Between two readings: the share of the machine's time its cores were busy, and the share the host took (steal), in %.</summary>
    public static (double BusyPercent, double StealPercent) Between(CpuTimes? start, CpuTimes? end)
    {
        if (start is not { } a || end is not { } b || b.Total <= a.Total)
        {
            return (0, 0);
        }

        double total = b.Total - a.Total;
        return (100 * (b.Busy - a.Busy) / total, 100 * (b.Steal - a.Steal) / total);
    }
}
