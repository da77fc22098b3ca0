using System.Diagnostics;

namespace Hourdini.Load;

public sealed record IdleResult(int Sessions, long RssBeforeBytes, long RssAfterBytes, double Seconds, int Errors)
{
    public double BytesPerSession => Sessions == 0 ? 0 : (RssAfterBytes - RssBeforeBytes) / (double)Sessions;
}

/// <summary>
/// Agents' open sessions left alone (issue 23: at most 4 KB per idle open session). Each agent opens one session and
/// goes quiet; <see cref="HeldWhileLive"/> is what they held just after (activations and resident bytes per session),
/// <see cref="ActivationsLeft"/> how many session activations of any kind were still there after <see cref="WaitedSeconds"/>:
/// at most that many of the agents' sessions (the persons' sessions an earlier step left go the same way, so they are
/// counted as if they were the agents', never subtracted).
/// </summary>
public sealed record IdleAgentsResult(
    int Sessions, int ActivationsBefore, int ActivationsOpen, int ActivationsAfter, long RssBeforeBytes, long RssOpenBytes, double WaitedSeconds, int Errors)
{
    public int HeldWhileLive => ActivationsOpen - ActivationsBefore;

    public int ActivationsLeft => Math.Min(ActivationsAfter, Sessions);

    public double BytesPerLiveSession => Sessions == 0 ? 0 : (RssOpenBytes - RssBeforeBytes) / (double)Sessions;

    /// <summary>What an idle session still holds once the idle timeout has passed: its share of the activations left, at a live one's size.</summary>
    public double BytesPerIdleSession => Sessions == 0 ? 0 : BytesPerLiveSession * ActivationsLeft / Sessions;

    /// <summary>The gauge saw the sessions open: without that, <see cref="ActivationsLeft"/> says nothing.</summary>
    public bool Measured => HeldWhileLive >= Sessions * 9 / 10 && Sessions > 0;
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

    /// <summary>
    /// Every agent opens one session and then calls nothing. The gateway's session activations (Orleans' gauge on /metrics)
    /// are read before, just after, and until they are back where they started or <paramref name="wait"/> has passed;
    /// then the agents end their sessions, so every one is read back from the database once more.
    /// </summary>
    public static async Task<IdleAgentsResult> MeasureAgentsAsync(
        Uri baseAddress, int gatewayPid, IReadOnlyList<Tenant> tenants, TimeSpan wait, TextWriter log, CancellationToken ct)
    {
        using var http = Api.CreateHttp(baseAddress, 64);
        var latencies = new Latencies { Measuring = true };
        var agents = tenants.SelectMany(t => t.Agents.Select(a => (Tenant: t, Agent: a))).ToList();
        var sessions = new System.Collections.Concurrent.ConcurrentBag<(string Secret, string Id)>();
        var before = await ActivationsAsync(http, ct);
        var rssBefore = Rss(gatewayPid);
        await Parallel.ForEachAsync(agents, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (pair, _) =>
        {
            var api = new Api([http], pair.Agent.Secret, latencies);
            var started = await api.CallAsync("start", HttpMethod.Post, "/api/v1/sessions",
                $$"""{"project_id":"{{pair.Tenant.ProjectId}}","description":"waits on a long tool call"}""", Stopwatch.GetTimestamp());
            if (started?.GetProperty("session").GetProperty("id").GetString() is { } id)
            {
                sessions.Add((pair.Agent.Secret, id));
            }
        });
        // A second later: the Prometheus exporter answers a scrape from its cache for a moment, and a short idle timeout
        // (the smoke run's 3 s) must not take the sessions before they are counted.
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        var open = await ActivationsAsync(http, ct);
        var rssOpen = Rss(gatewayPid);
        log.WriteLine($"  {sessions.Count} agents opened a session and went quiet: session activations {before} -> {open}, gateway RSS {rssBefore / 1048576} MiB -> {rssOpen / 1048576} MiB");

        var watch = Stopwatch.StartNew();
        var after = open;
        while (watch.Elapsed < wait && after > sessions.Count / 100)
        {
            await Task.Delay(TimeSpan.FromSeconds(10), ct);
            after = await ActivationsAsync(http, ct);
        }

        log.WriteLine($"  after {watch.Elapsed.TotalSeconds:F0} s without a call: session activations {after}");
        await Parallel.ForEachAsync(sessions, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (session, _) =>
            await new Api([http], session.Secret, latencies).CallAsync("end", HttpMethod.Post, $"/api/v1/sessions/{session.Id}/end", null, Stopwatch.GetTimestamp()));
        var errors = latencies["start"].Errors + latencies["end"].Errors;
        return new IdleAgentsResult(sessions.Count, before, open, after, rssBefore, rssOpen, watch.Elapsed.TotalSeconds, errors);
    }

    /// <summary>
    /// The silo's session activations now: Orleans' <c>orleans-catalog-activations</c> gauge for the session grain type,
    /// as /metrics exports it (no line while there are none).
    /// </summary>
    private static async Task<int> ActivationsAsync(HttpClient http, CancellationToken ct)
    {
        var text = await http.GetStringAsync("/metrics", ct);
        return text.Split('\n')
            .Where(l => l.StartsWith("orleans_catalog_activations{", StringComparison.Ordinal) && l.Contains("grain_type=\"session\"", StringComparison.Ordinal))
            .Sum(l => (int)double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>VmRSS of a process, from /proc.</summary>
    public static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
    }
}
