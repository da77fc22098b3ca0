using System.Globalization;

namespace Hourdini.Load;

/// <summary>
/// Where a run's CPU went, by process: the CPU time of named process trees (a process, its living descendants, and the
/// children it has reaped) from <c>/proc/&lt;pid&gt;/stat</c> on Linux, in clock ticks (USER_HZ). PostgreSQL is one tree
/// under its postmaster: backends, autovacuum workers and the checkpointer, and any that exited in the window count in
/// the postmaster's <c>cutime</c>/<c>cstime</c> once reaped. The load tool itself is counted as <c>load</c>; whatever
/// else was busy (the kernel's softirqs, other processes) is the machine's busy time less all of them.
/// <para>Used by <c>deploy/bench.sh --webhook-ab</c> to split one webhook's cost between the gateway, PostgreSQL and the
/// receiver (docs/BENCHMARKS.md). Sampled by the scheduler tick like <see cref="CpuTimes"/>: precise on busy cores.</para>
/// </summary>
public static class ProcessCpu
{
    /// <summary><c>name=pid,name=pid</c> (e.g. <c>gateway=812,postgres=77,receiver=790</c>).</summary>
    public static IReadOnlyDictionary<string, int> ParseWatch(string? spec) =>
        string.IsNullOrWhiteSpace(spec)
            ? new Dictionary<string, int>()
            : spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(part => part.Split('=', 2))
                .ToDictionary(
                    pair => pair.Length == 2 && pair[0].Length > 0 ? pair[0] : throw new ArgumentException($"--cpu-of wants name=pid, not '{string.Join('=', pair)}'."),
                    pair => int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0
                        ? pid : throw new ArgumentException($"--cpu-of: '{pair[1]}' is not a process id."));

    /// <summary>Each named tree's ticks so far, and this process's as <c>load</c>; a tree that is gone reads 0.</summary>
    public static Dictionary<string, long> Read(IReadOnlyDictionary<string, int> watch)
    {
        var all = Snapshot();
        var ticks = watch.ToDictionary(w => w.Key, w => TreeTicks(all, w.Value));
        ticks["load"] = TreeTicks(all, Environment.ProcessId);
        return ticks;
    }

    /// <summary>Cores each tree kept busy between two readings over <paramref name="seconds"/> of wall clock.</summary>
    public static Dictionary<string, double> CoresBetween(Dictionary<string, long> start, Dictionary<string, long> end, double seconds) =>
        seconds <= 0
            ? []
            : end.Where(e => start.ContainsKey(e.Key))
                .ToDictionary(e => e.Key, e => Math.Max(0, e.Value - start[e.Key]) / (double)CpuTimes.TicksPerSecond / seconds);

    public readonly record struct Stat(int Pid, int Parent, long Own, long Reaped);

    private static Dictionary<int, Stat> Snapshot()
    {
        var all = new Dictionary<int, Stat>();
        if (!Directory.Exists("/proc"))
        {
            return all;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (Parse(pid, File.ReadAllText(Path.Combine(dir, "stat"))) is { } stat)
                {
                    all[pid] = stat;
                }
            }
            catch (IOException)
            {
                // exited while we looked: its ticks are in its parent's reaped time
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return all;
    }

    /// <summary><c>pid (comm) state ppid … utime stime cutime cstime …</c>: fields 4 and 14–17; comm may hold spaces and parentheses.</summary>
    public static Stat? Parse(int pid, string line)
    {
        var close = line.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = line[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries); // fields[0] is the state (field 3)
        if (fields.Length < 15)
        {
            return null;
        }

        long Field(int n) => long.Parse(fields[n - 3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return new Stat(pid, (int)Field(4), Field(14) + Field(15), Field(16) + Field(17));
    }

    private static long TreeTicks(Dictionary<int, Stat> all, int root)
    {
        if (!all.TryGetValue(root, out var stat))
        {
            return 0;
        }

        var children = all.Values.ToLookup(s => s.Parent);
        long total = 0;
        var pending = new Stack<Stat>([stat]);
        while (pending.TryPop(out var s))
        {
            total += s.Own + s.Reaped;
            foreach (var child in children[s.Pid])
            {
                pending.Push(child);
            }
        }

        return total;
    }
}
