using System.Diagnostics;
using Hourdini.Testing;

namespace Hourdini.Load.Faults;

/// <summary>
/// Injects faults into a cluster started by <c>deploy/cluster.sh</c> through the same script: kill -9 a
/// node, start it again, stop and start PostgreSQL. The script's environment (HOURDINI_CLUSTER_DIR, ports)
/// is this process's.
/// </summary>
public sealed class ClusterControl(string script)
{
    public Task<TimeSpan> KillNodeAsync(int node) => RunAsync("kill-node", node.ToString());

    /// <summary>Starts a node and returns how long it took to answer <c>/readyz</c>.</summary>
    public Task<TimeSpan> StartNodeAsync(int node) => RunAsync("start-node", node.ToString());

    public Task<TimeSpan> StopDatabaseAsync() => RunAsync("pg-stop");

    /// <summary>Returns once PostgreSQL accepts connections again.</summary>
    public Task<TimeSpan> StartDatabaseAsync() => RunAsync("pg-start");

    private async Task<TimeSpan> RunAsync(params string[] args)
    {
        var took = Stopwatch.StartNew();
        await Processes.RunAsync("bash", [script, .. args]);
        return took.Elapsed;
    }
}
