using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Hourdini.Load.Faults;

/// <summary>
/// The fault scenarios of issue 7 against a cluster from <c>deploy/cluster.sh</c> (nginx in front of three
/// nodes), each under the load generator's mix and each verified from the database afterwards:
/// a node killed with kill -9, PostgreSQL restarted, the same users driven through every node at once, and an
/// agent that crashes together with its node. docs/RELIABILITY.md says what each one promises.
/// </summary>
public sealed class FaultSuite
{
    private readonly Uri _entry;
    private readonly Uri[] _nodes;
    private readonly string _database;
    private readonly ClusterControl _cluster;
    private readonly TimeSpan _duration;
    private readonly TimeSpan _warmup = TimeSpan.FromSeconds(2);
    private readonly TimeSpan _outage;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _claimLease;
    private readonly TimeSpan _webhookClaim;
    private readonly double _rate;
    private readonly int _users;
    private readonly TextWriter _log;

    private FaultSuite(Arguments options, TextWriter log)
    {
        _entry = new Uri(options.Require("url"));
        _nodes = [.. options.Require("nodes").Split(',').Select(node => new Uri(node))];
        _database = options.Require("db");
        _cluster = new ClusterControl(options.Require("cluster-script"));
        _duration = TimeSpan.FromSeconds(options.Double("duration", 15));
        _outage = TimeSpan.FromSeconds(options.Double("outage", Math.Min(3, _duration.TotalSeconds / 3)));
        _requestTimeout = TimeSpan.FromSeconds(options.Double("request-timeout", 30));
        _claimLease = TimeSpan.FromSeconds(options.Double("claim-lease", 45));
        _webhookClaim = TimeSpan.FromSeconds(options.Double("webhook-claim", 60));
        _rate = options.Double("rate", 300);
        _users = options.Int("users", 10);
        _log = log;
    }

    public static async Task<IReadOnlyList<FaultResult>> RunAsync(Arguments options, TextWriter log, CancellationToken ct)
    {
        var suite = new FaultSuite(options, log);
        var only = options.Find("only")?.Split(',') ?? ["node-crash", "database-restart", "cross-node", "agent-and-node-crash", "keyed-retry", "webhook-crash"];
        log.WriteLine($"==> faults: {suite._users} people with 3 agents each, {suite._rate:F0} agent calls/s through {suite._entry}, {suite._duration.TotalSeconds:F0} s per scenario");
        var tenants = await LoadRun.SetUpAsync(suite._entry, suite._users + 1, 3, log, ct);
        var load = tenants.Take(suite._users).ToList();
        var spare = tenants[suite._users];
        var results = new List<FaultResult>();
        foreach (var name in only)
        {
            log.WriteLine($"==> {name}");
            var result = name switch
            {
                "node-crash" => await suite.NodeCrashAsync(load, spare, ct),
                "database-restart" => await suite.DatabaseRestartAsync(load, spare, ct),
                "cross-node" => await suite.CrossNodeAsync(load, ct),
                "agent-and-node-crash" => await suite.AgentAndNodeCrashAsync(spare, ct),
                "keyed-retry" => await new KeyedRetry(suite._nodes[0], suite._nodes[1], suite._database, suite._cluster, 1, log)
                    .RunAsync(spare, suite._warmup, suite._claimLease, ct),
                "webhook-crash" => await new WebhookCrash(suite._nodes, suite._database, suite._cluster, 2, log)
                    .RunAsync(spare, TimeSpan.FromSeconds(3), suite._webhookClaim, ct),
                _ => throw new ArgumentException($"Unknown scenario '{name}'."),
            };
            result.Print(log);
            results.Add(result);
        }

        return results;
    }

    private RunOptions Load(string name, Uri address) => new()
    {
        Name = name,
        BaseAddress = address,
        Database = _database,
        Users = _users,
        AgentsPerUser = 3,
        Warmup = _warmup,
        Duration = _duration,
        Rate = _rate,
        StepsPerSession = 20,
        MaxConnections = 64,
    };

    /// <summary>
    /// kill -9 one node, and with it its silo, in the middle of the load; start it again later. A probe user whose grains
    /// lived in that silo (placed there by a call through that node) writes through another node every 100 ms from the
    /// kill on: the cluster must declare the silo dead and activate the grains elsewhere within 10 s (issue 23).
    /// </summary>
    private async Task<FaultResult> NodeCrashAsync(IReadOnlyList<Tenant> load, Tenant spare, CancellationToken ct)
    {
        const int victim = 2;
        using var probeHttp = new HttpClient { Timeout = _requestTimeout + TimeSpan.FromSeconds(10) };
        var probeSession = await StartSessionAsync(probeHttp, _nodes[victim - 1], spare, ct);
        var run = LoadRun.RunAsync(Load("node-crash", _entry), load, _log, ct);
        await Task.Delay(_warmup + (_duration / 3), ct);
        await _cluster.KillNodeAsync(victim);
        var killedAt = Stopwatch.GetTimestamp();
        var probe = RecoveryAsync(probeHttp, _nodes[0], spare, probeSession, killedAt, ct);
        await Task.Delay(_duration / 3, ct);
        var down = Stopwatch.GetElapsedTime(killedAt);
        var restart = await _cluster.StartNodeAsync(victim);
        var result = await run;
        var (recovered, probeStatuses) = await probe;
        var servesAgain = await StatusAsync(_nodes[victim - 1], spare.Pat, HttpMethod.Get, "/api/v1/me", null, ct);

        var broken = Common(result, nodeDies: true);
        if (servesAgain != 200)
        {
            broken.Add($"node {victim} answered GET /api/v1/me with {servesAgain} after its restart");
        }

        if (recovered is not { } recovery || recovery > TimeSpan.FromSeconds(10))
        {
            broken.Add(recovered is null ? "the probe's grains never answered again" : $"the probe's grains answered again only after {recovered.Value.TotalSeconds:F1} s (promise: 10 s)");
        }

        // One activation per grain: a second activation of a user or session would lose version checks, answering 409
        // concurrent_change. (Other 409s are answers: a start retried after its node died had committed, say.)
        if (result.ConcurrentChanges > 0)
        {
            broken.Add($"{result.ConcurrentChanges} answers 409 concurrent_change (a duplicate activation?)");
        }

        return Result(result, $"kill -9 node {victim} (its silo) after {(_warmup + (_duration / 3)).TotalSeconds:F0} s of load, restart it {down.TotalSeconds:F0} s later", broken,
            ("in-flight calls cut with their connection (failed cleanly, not acknowledged)", result.Refusals.GetValueOrDefault(0).ToString()),
            ("grains of the dead silo answer again (probe through node 1, every 100 ms) after", recovered is { } r ? $"{r.TotalSeconds:F2} s" : "never"),
            ("probe answers until then", string.Join(", ", probeStatuses.GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"))),
            ("409 concurrent_change (duplicate activations)", result.ConcurrentChanges.ToString()),
            ("node restarted and ready (/readyz) in", $"{restart.TotalSeconds:F1} s"),
            ($"node {victim} serves again (GET /api/v1/me)", servesAgain.ToString()));
    }

    /// <summary>
    /// Beats the probe's session (idle, active, …) through <paramref name="node"/> every 100 ms until a 2xx; how long after
    /// the kill that came. A person's beat goes through the user's grain to the session's, so both must live again.
    /// </summary>
    private static async Task<(TimeSpan? Recovered, List<int> Statuses)> RecoveryAsync(
        HttpClient http, Uri node, Tenant tenant, Guid session, long killedAt, CancellationToken ct)
    {
        var statuses = new List<int>();
        while (Stopwatch.GetElapsedTime(killedAt) < TimeSpan.FromSeconds(60))
        {
            int status;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(node, $"/api/v1/sessions/{session}/beat"))
                {
                    Content = JsonContent.Create(new { kind = statuses.Count % 2 == 0 ? "idle" : "active" }),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tenant.Pat);
                using var response = await http.SendAsync(request, ct);
                status = (int)response.StatusCode;
            }
            catch (HttpRequestException)
            {
                status = 0;
            }

            if (status is >= 200 and < 300)
            {
                return (Stopwatch.GetElapsedTime(killedAt), statuses);
            }

            statuses.Add(status);
            await Task.Delay(100, ct);
        }

        return (null, statuses);
    }

    /// <summary>
    /// Stop PostgreSQL in the middle of the load and start it again after the outage. Meanwhile a probe writes to
    /// every node directly every 100 ms: during the outage each must answer 503 with Retry-After, and each must
    /// answer 2xx again within 5 s of the database accepting connections.
    /// </summary>
    private async Task<FaultResult> DatabaseRestartAsync(IReadOnlyList<Tenant> load, Tenant spare, CancellationToken ct)
    {
        using var probeHttp = new HttpClient { Timeout = _requestTimeout + TimeSpan.FromSeconds(10) };
        var probeSession = await StartSessionAsync(probeHttp, _entry, spare, ct);
        var run = LoadRun.RunAsync(Load("database-restart", _entry), load, _log, ct);
        await Task.Delay(_warmup + (_duration / 3), ct);

        await _cluster.StopDatabaseAsync();
        var outage = Stopwatch.StartNew();
        var restarting = new TaskCompletionSource<long>();
        var back = new TaskCompletionSource<long>();
        var probes = _nodes.Select(node => ProbeAsync(probeHttp, node, spare, probeSession, restarting.Task, back.Task, ct)).ToArray();
        await Task.Delay(_outage, ct);
        var downFor = outage.Elapsed;
        restarting.SetResult(Stopwatch.GetTimestamp());
        await _cluster.StartDatabaseAsync();
        back.SetResult(Stopwatch.GetTimestamp());
        var probed = await Task.WhenAll(probes);
        var result = await run;

        var broken = Common(result);
        var recovery = probed.Max(p => p.Recovery ?? TimeSpan.MaxValue);
        if (recovery > TimeSpan.FromSeconds(5))
        {
            broken.Add(recovery == TimeSpan.MaxValue ? "a node did not recover" : $"recovery took {recovery.TotalSeconds:F1} s (promise: 5 s)");
        }

        var outageStatuses = probed.SelectMany(p => p.DuringOutage).GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        if (outageStatuses.Keys.Any(status => status != 503))
        {
            broken.Add($"during the outage a node answered {string.Join(", ", outageStatuses.Keys.Where(s => s != 503))} (promise: 503)");
        }

        if (probed.Sum(p => p.WithoutRetryAfter) > 0)
        {
            broken.Add("a 503 without Retry-After");
        }

        var slowest = TimeSpan.FromSeconds(Math.Max(result.SlowestSeconds, probed.Max(p => p.Slowest).TotalSeconds));
        if (slowest > _requestTimeout + TimeSpan.FromSeconds(2))
        {
            broken.Add($"a call took {slowest.TotalSeconds:F1} s, past the {_requestTimeout.TotalSeconds:F0} s request timeout");
        }

        return Result(result, $"PostgreSQL stopped (fast) after {(_warmup + (_duration / 3)).TotalSeconds:F0} s of load, down {downFor.TotalSeconds:F1} s", broken,
            ("409 concurrent_change", result.ConcurrentChanges.ToString()),
            ("probe answers during the outage (every node, every 100 ms)",
                string.Join(", ", outageStatuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))),
            ("recovery after the database accepts connections (slowest node)", recovery == TimeSpan.MaxValue ? "never" : $"{recovery.TotalSeconds:F2} s"),
            ("slowest call (answered or failed)", $"{slowest.TotalSeconds:F2} s"));
    }

    /// <summary>Every caller's calls go to a random node: the same users are served by all three at once.</summary>
    private async Task<FaultResult> CrossNodeAsync(IReadOnlyList<Tenant> load, CancellationToken ct)
    {
        var result = await LoadRun.RunAsync(Load("cross-node", _entry) with { SpreadOver = _nodes }, load, _log, ct);
        var broken = Common(result);

        // Issue 23: Orleans keeps one activation of each user and session across the nodes, so nothing races.
        if (result.ConcurrentChanges > 0)
        {
            broken.Add($"{result.ConcurrentChanges} answers 409 concurrent_change (promise: 0)");
        }

        return Result(result, $"every call of every caller sent to one of {_nodes.Length} nodes at random (no routing)", broken,
            ("409 concurrent_change (promise: 0)", result.ConcurrentChanges.ToString()));
    }

    /// <summary>
    /// R15 with a node crash: an agent talks to one node, then the agent and that node die together. Another
    /// node must stop the session at the last-heard time once the lease runs out.
    /// </summary>
    private async Task<FaultResult> AgentAndNodeCrashAsync(Tenant tenant, CancellationToken ct)
    {
        const int victim = 3;
        const int lease = 5;
        var node = _nodes[victim - 1];
        using var http = new HttpClient { BaseAddress = node };
        var broken = new List<string>();
        await SendAsync(http, tenant.Pat, HttpMethod.Patch, "/api/v1/org", new { agent_lease_seconds = lease }, ct);
        var (agentId, secret) = tenant.Agents[0];
        var session = await StartSessionAsync(http, node, tenant with { Pat = secret }, ct);
        for (var i = 0; i < 3; i++)
        {
            await SendAsync(http, secret, HttpMethod.Post, $"/api/v1/sessions/{session}/events", new { type = "log", message = $"step {i}" }, ct);
            await Task.Delay(700, ct); // long enough that the session bills whole seconds and writes an entry
            await SendAsync(http, secret, HttpMethod.Post, $"/api/v1/sessions/{session}/heartbeat", null, ct);
        }

        var lastCall = DateTime.UtcNow;
        await _cluster.KillNodeAsync(victim);
        await using var db = new NpgsqlConnection(_database);
        await db.OpenAsync(ct);
        async Task<object?> ScalarAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, db) { Parameters = { new() { Value = session } } };
            return await command.ExecuteScalarAsync(ct);
        }

        var lastHeard = (DateTime)(await ScalarAsync("SELECT last_heard_at FROM sessions WHERE id = $1"))!;

        DateTime? stoppedAt = null;
        var deadline = lastHeard.AddSeconds(lease + 20);
        while (DateTime.UtcNow < deadline && stoppedAt is null)
        {
            await Task.Delay(200, ct);
            stoppedAt = await ScalarAsync("SELECT stopped_at FROM sessions WHERE id = $1") as DateTime?;
        }

        var seenStopped = DateTime.UtcNow;
        var entry = await ScalarAsync("SELECT count(*) FROM time_entries WHERE session_id = $1 AND ended_at = (SELECT stopped_at FROM sessions WHERE id = $1)");
        var restart = await _cluster.StartNodeAsync(victim);
        await SendAsync(http, tenant.Pat, HttpMethod.Patch, "/api/v1/org", new { agent_lease_seconds = 300 }, ct);

        if (stoppedAt is not { } stopped)
        {
            broken.Add($"the session was not stopped within {lease + 20} s of its last-heard time");
        }
        else
        {
            if (stopped != lastHeard)
            {
                broken.Add($"stopped at {stopped:O}, last heard at {lastHeard:O} (R15: the last-heard time)");
            }

            if ((long)entry! != 1)
            {
                broken.Add("no session entry ending at the stop time (R6)");
            }
        }

        var acknowledged = 7; // start, 3 logs, 3 heartbeats
        return new FaultResult("agent-and-node-crash", $"agent {agentId:N} and node {victim} die together; lease {lease} s", acknowledged,
            stoppedAt is null ? 1 : 0, acknowledged, new Dictionary<int, int>(),
            [
                ("last call → recorded last-heard (lease renewals fold within 0.5 s)", $"{(lastCall - lastHeard).TotalSeconds:F2} s"),
                ("stopped at − last heard", stoppedAt is { } s ? $"{(s - lastHeard).TotalSeconds:F3} s" : "not stopped"),
                ("stop seen after the lease ran out (sweep every 1 s, by a surviving node)",
                    stoppedAt is null ? "—" : $"{(seenStopped - lastHeard.AddSeconds(lease)).TotalSeconds:F1} s"),
                ("crashed node restarted and ready in", $"{restart.TotalSeconds:F1} s"),
            ],
            broken);
    }

    /// <summary>What every loaded scenario promises: nothing acknowledged is lost, the core rules hold, no 5xx but 503.</summary>
    private static List<string> Common(RunResult result, bool nodeDies = false)
    {
        var broken = new List<string>();
        foreach (var check in result.Checks.Where(c => c.Violations > 0))
        {
            broken.Add($"{check.Name}: {check.Violations} violations");
        }

        var serverErrors = result.Refusals.Where(r => r.Key >= 500 && r.Key != 503).Sum(r => r.Value);
        if (serverErrors > 0)
        {
            broken.Add($"{serverErrors} answers with a 5xx other than 503");
        }

        // A connection cut while its node dies is an in-flight request failing cleanly (nothing acknowledged); otherwise it is a bug.
        if (result.Refusals.GetValueOrDefault(0) > 0 && !nodeDies)
        {
            broken.Add($"{result.Refusals[0]} calls got no HTTP answer");
        }

        if (result.UnavailableWithoutRetryAfter > 0)
        {
            broken.Add($"{result.UnavailableWithoutRetryAfter} answers 503 without Retry-After");
        }

        return broken;
    }

    private static FaultResult Result(RunResult result, string fault, List<string> broken, params (string, string)[] figures) =>
        new(result.Name, fault, result.Acknowledged, result.Missing, result.Kinds.Sum(k => k.Count) + result.Refusals.Values.Sum(), result.Refusals,
            [($"503 answers", result.Refusals.GetValueOrDefault(503).ToString()), .. figures], broken);

    private sealed record Probe(TimeSpan? Recovery, IReadOnlyList<int> DuringOutage, TimeSpan Slowest, int WithoutRetryAfter);

    /// <summary>
    /// Writes to one node every 100 ms from the outage's start until its first success once the database is started
    /// again. Answers before the restart began are the outage's; recovery counts from when PostgreSQL accepts
    /// connections (pg_ctl start -w returned), and is 0 if the node answered even before that.
    /// </summary>
    private static async Task<Probe> ProbeAsync(
        HttpClient http, Uri node, Tenant tenant, Guid session, Task<long> restarting, Task<long> back, CancellationToken ct)
    {
        var during = new List<int>();
        var slowest = TimeSpan.Zero;
        var withoutRetryAfter = 0;
        var serial = 0;
        var giveUp = Stopwatch.StartNew();
        while (giveUp.Elapsed < TimeSpan.FromSeconds(60))
        {
            var sent = Stopwatch.GetTimestamp();
            int status;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(node, $"/api/v1/sessions/{session}/events"))
                {
                    Content = JsonContent.Create(new { type = "log", message = $"probe {serial++}" }),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tenant.Pat);
                using var response = await http.SendAsync(request, ct);
                status = (int)response.StatusCode;
                if (status == 503 && response.Headers.RetryAfter is null)
                {
                    withoutRetryAfter++;
                }
            }
            catch (HttpRequestException)
            {
                status = 0;
            }

            var answered = Stopwatch.GetTimestamp();
            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, Stopwatch.GetElapsedTime(sent, answered).Ticks));
            if (!restarting.IsCompleted)
            {
                during.Add(status);
            }
            else if (status is >= 200 and < 300)
            {
                var recovery = back.IsCompleted && answered > back.Result ? Stopwatch.GetElapsedTime(back.Result, answered) : TimeSpan.Zero;
                return new Probe(recovery, during, slowest, withoutRetryAfter);
            }

            await Task.Delay(100, ct);
        }

        return new Probe(null, during, slowest, withoutRetryAfter);
    }

    private static async Task<Guid> StartSessionAsync(HttpClient http, Uri address, Tenant tenant, CancellationToken ct)
    {
        var started = await SendAsync(http, tenant.Pat, HttpMethod.Post, new Uri(address, "/api/v1/sessions").ToString(),
            new { project_id = tenant.ProjectId, description = "fault probe" }, ct);
        return started.GetProperty("session").GetProperty("id").GetGuid();
    }

    private static async Task<int> StatusAsync(Uri node, string token, HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = node };
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, ct);
        return (int)response.StatusCode;
    }

    /// <summary>A scenario's own set-up call; a 503 (a node still starting) or a lost race (409) is retried like a client would.</summary>
    private static async Task<JsonElement> SendAsync(HttpClient http, string token, HttpMethod method, string path, object? body, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
            {
                return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement;
            }

            if (attempt >= 10 || !((int)response.StatusCode == 503 || text.Contains("\"code\":\"concurrent_change\"", StringComparison.Ordinal)))
            {
                throw new InvalidOperationException($"{method} {path} failed: {(int)response.StatusCode} {text}");
            }

            await Task.Delay(200 * attempt, ct);
        }
    }
}
