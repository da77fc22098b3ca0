using System.Globalization;
using System.Text.Json;

namespace Hourdini.Load;

/// <summary>The benchmark's runs against one gateway (deploy/bench.sh runs the ceilings beside it).</summary>
public static class Bench
{
    public const int AgentsPerUser = 5;

    /// <summary>
    /// The headline configuration: 1,000 agents of 200 people who also work, closed loop (on the 2-core
    /// machine, the sweep's best sustained rate); the HTTP ceiling runs at the same concurrency.
    /// </summary>
    public const int HeadlineAgents = 1000;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static RunOptions RunOptionsFrom(Arguments options, string name) => new()
    {
        Name = name,
        BaseAddress = new Uri(options.Require("url")),
        SpreadOver = options.Find("spread-over") is { } nodes ? [.. nodes.Split(',').Select(node => new Uri(node))] : [],
        Database = options.Find("db"),
        Users = options.Int("users", 20),
        AgentsPerUser = options.Int("agents-per-user", AgentsPerUser),
        People = !options.Has("no-people"),
        Warmup = TimeSpan.FromSeconds(options.Double("warmup", 3)),
        Duration = TimeSpan.FromSeconds(options.Double("duration", 15)),
        Rate = options.Find("rate") is not null ? options.Double("rate", 0) : null,
        StepsPerSession = options.Int("steps", 40),
        PersonInterval = TimeSpan.FromSeconds(options.Double("person-interval", 1)),
        MaxConnections = options.Int("connections", 256),
        Ceiling = options.Has("ceiling"),
        Checkpoint = options.Has("checkpoint"),
        CpuOf = ProcessCpu.ParseWatch(options.Find("cpu-of")),
    };

    public static async Task WriteAsync<T>(string path, T result)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(result, Json));
    }

    public static async Task<int> SuiteAsync(Arguments options, TextWriter log, CancellationToken ct)
    {
        var folder = options.Get("out", "artifacts/bench");
        var sweep = options.Get("sweep", "10,100,1000,5000").Split(',').Select(int.Parse).ToArray();
        var openAgents = options.Int("open-agents", 5000);
        var idleSessions = options.Int("idle-sessions", 100_000);
        var baseline = RunOptionsFrom(options, "") with { Checkpoint = true };
        var users = Math.Max(1, sweep.Append(openAgents).Max() / AgentsPerUser);
        var tenants = await LoadRun.SetUpAsync(baseline.BaseAddress, users, AgentsPerUser, log, ct);
        var results = new List<RunResult>();

        async Task<RunResult> RunAsync(RunOptions run)
        {
            log.WriteLine($"==> {run.Name}: {run.Users * run.AgentsPerUser} agents, {(run.People ? run.Users : 0)} people, " +
                (run.OfferedRate is { } offered ? $"{offered:F0} calls/s offered" : "closed loop") + $", {run.Duration.TotalSeconds:F0} s");
            var result = await LoadRun.RunAsync(run, tenants, log, ct);
            Report.Print(result, log);
            await WriteAsync(Path.Combine(folder, $"{run.Name}.json"), result);
            results.Add(result);
            return result;
        }

        RunResult? headline = null;
        foreach (var agents in sweep)
        {
            var result = await RunAsync(baseline with
            {
                Name = $"closed-{agents}",
                Users = Math.Max(1, agents / AgentsPerUser),
                AgentsPerUser = Math.Min(agents, AgentsPerUser),
            });
            if (agents == HeadlineAgents)
            {
                headline = result;
            }
        }

        if (headline is not null)
        {
            // Open loop at fractions of the headline's rate, same callers: latency against offered load. The people
            // keep their own pace, so the agents are offered the rest of that rate.
            foreach (var fraction in options.Get("paced", "0.25,0.5,0.8").Split(',').Select(f => double.Parse(f, CultureInfo.InvariantCulture)))
            {
                var paced = baseline with { Name = $"paced-{fraction * 100:F0}", Users = HeadlineAgents / AgentsPerUser };
                await RunAsync(paced with { Rate = Math.Max(1, fraction * headline.CallsPerSecond - paced.PeopleRate) });
            }
        }

        if (openAgents > 0)
        {
            // Every agent keeps its session open for the whole window and calls about once every few seconds. The
            // start storm of 5,000 agents is not the steady state this run measures: the warm-up lasts six call
            // intervals, its first half spreading the starts, its second half working off what they queued. With two
            // intervals (the starts in 5 s), round 19's third run still worked off that queue in its window.
            var interval = options.Double("open-interval", 5);
            await RunAsync(baseline with
            {
                Name = $"open-{openAgents}",
                Users = openAgents / AgentsPerUser,
                StepsPerSession = 0,
                Rate = openAgents / interval,
                Warmup = TimeSpan.FromSeconds(Math.Max(baseline.Warmup.TotalSeconds, 6 * interval)),
            });
        }

        if (idleSessions > 0 && options.Find("gateway-pid") is { } pid)
        {
            log.WriteLine($"==> idle: {idleSessions} open sessions");
            var perUser = Math.Max(2, idleSessions / tenants.Count);
            var idle = await IdleSessions.MeasureAsync(baseline.BaseAddress, int.Parse(pid), tenants, perUser, log, ct);
            await WriteAsync(Path.Combine(folder, "idle.json"), idle);
        }

        if (options.Double("idle-agents-wait", 0) is > 0 and var waitSeconds && options.Find("gateway-pid") is { } gateway)
        {
            // The gateway's session idle timeout (Hourdini:SessionIdleTimeout, 2 minutes) and a collection round or two.
            log.WriteLine($"==> idle agents: every agent opens a session and goes quiet, up to {waitSeconds} s");
            var agents = await IdleSessions.MeasureAgentsAsync(baseline.BaseAddress, int.Parse(gateway), tenants,
                TimeSpan.FromSeconds(waitSeconds), log, ct);
            await WriteAsync(Path.Combine(folder, "idle-agents.json"), agents);
        }

        var missing = results.Sum(r => r.Missing);
        log.WriteLine(missing == 0 ? "==> every acknowledged operation is in the database" : $"==> {missing} acknowledged operations or rules broken");
        return missing == 0 ? 0 : 1;
    }
}
