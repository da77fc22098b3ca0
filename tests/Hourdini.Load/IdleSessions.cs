using System.Diagnostics;

namespace Hourdini.Load;

public sealed record IdleResult(int Sessions, long RssBeforeBytes, long RssAfterBytes, double Seconds, int Errors)
{
    public double BytesPerSession => Sessions == 0 ? 0 : (RssAfterBytes - RssBeforeBytes) / (double)Sessions;
}

/// <summary>
/// Resident memory per idle open session: opens many sessions through the API (people, each with many open
/// sessions), lets the gateway settle, and divides the growth of its resident set by the number opened.
/// </summary>
public static class IdleSessions
{
    public static async Task<IdleResult> MeasureAsync(
        Uri baseAddress, int gatewayPid, IReadOnlyList<Tenant> tenants, int sessionsPerUser, TextWriter log, CancellationToken ct)
    {
        var users = tenants.Count;
        using var http = Api.CreateHttp(baseAddress, 64);
        var latencies = new Latencies { Measuring = true };

        // Warm the path (JIT, pools) with one session per user, then take the baseline.
        await OpenAsync(1);
        await SettleAsync();
        var before = Rss(gatewayPid);
        var watch = Stopwatch.StartNew();
        await OpenAsync(sessionsPerUser - 1);
        var seconds = watch.Elapsed.TotalSeconds;
        await SettleAsync();
        var after = Rss(gatewayPid);
        var opened = latencies["start"].Count - users;
        log.WriteLine($"  opened {opened} sessions in {seconds:F1} s; gateway RSS {before / 1048576} MiB -> {after / 1048576} MiB");
        return new IdleResult(opened, before, after, seconds, latencies["start"].Errors);

        async Task OpenAsync(int perUser) => await Parallel.ForEachAsync(tenants, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct },
            async (tenant, _) =>
            {
                var api = new Api([http], tenant.Pat, latencies);
                for (var i = 0; i < perUser; i++)
                {
                    await api.CallAsync("start", HttpMethod.Post, "/api/v1/sessions",
                        $$"""{"project_id":"{{tenant.ProjectId}}","description":"waiting on the client","previous":"idle"}""", Stopwatch.GetTimestamp());
                }
            });

        async Task SettleAsync() => await Task.Delay(TimeSpan.FromSeconds(5), ct);
    }

    /// <summary>VmRSS of a process, from /proc.</summary>
    public static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
    }
}
