using System.Diagnostics;
using Npgsql;

namespace Hourdini.Load;

public sealed record RunOptions
{
    public required string Name { get; init; }

    public required Uri BaseAddress { get; init; }

    /// <summary>Nodes to spread every caller's calls over at random (issue 7); empty sends everything to <see cref="BaseAddress"/>.</summary>
    public IReadOnlyList<Uri> SpreadOver { get; init; } = [];

    /// <summary>Where to verify from; null skips the verification (the HTTP ceiling has nothing to verify).</summary>
    public string? Database { get; init; }

    public int Users { get; init; } = 10;

    public int AgentsPerUser { get; init; } = 3;

    /// <summary>Whether each user also works as a person (two sessions and a timer) beside their agents.</summary>
    public bool People { get; init; } = true;

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Runs CHECKPOINT on <see cref="Database"/> before the run, so that no timed checkpoint falls inside its window; the
    /// bench does the same before each <c>pgbench</c> window it compares with (deploy/bench.sh, docs/BENCHMARKS.md).
    /// </summary>
    public bool Checkpoint { get; init; }

    /// <summary>Process trees whose CPU in the window is reported by name (<see cref="ProcessCpu"/>), e.g. the gateway's.</summary>
    public IReadOnlyDictionary<string, int> CpuOf { get; init; } = new Dictionary<string, int>();

    /// <summary>Paced runs: the agents join over this part of the warm-up (<see cref="Pacer"/>); half of it by default.</summary>
    public TimeSpan Ramp => Warmup / 2;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Offered load in calls/s over all agents (open loop; the people keep their own pace on top), or over all callers
    /// against the trivial endpoint (<see cref="Ceiling"/>); null runs each caller closed loop.
    /// </summary>
    public double? Rate { get; init; }

    /// <summary>A person acts about this often (people click at human speed, whatever the agents do).</summary>
    public TimeSpan PersonInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Steps an agent takes before it ends its session; 0 keeps every session open.</summary>
    public int StepsPerSession { get; init; } = 40;

    public int MaxConnections { get; init; } = 256;

    /// <summary>Drives the trivial endpoint of <see cref="CeilingServer"/> instead of Hourdini (the HTTP ceiling).</summary>
    public bool Ceiling { get; init; }

    public int Callers => Users * (AgentsPerUser + (People ? 1 : 0));

    /// <summary>Calls/s the people offer whatever the agents do (one per <see cref="PersonInterval"/> each).</summary>
    public double PeopleRate => People && !Ceiling ? Users / PersonInterval.TotalSeconds : 0;

    /// <summary>Calls/s offered in all: the agents' (or the ceiling's callers') and the people's; null: closed loop.</summary>
    public double? OfferedRate => Rate + PeopleRate;

    /// <summary>How often each paced caller calls, so that together they offer <see cref="Rate"/>; null: closed loop.</summary>
    public TimeSpan? CallInterval => Rate is { } rate ? TimeSpan.FromSeconds((Ceiling ? Callers : Users * AgentsPerUser) / rate) : null;
}

public sealed record KindResult(string Kind, int Count, double PerSecond, double P50, double P99, double P999, IReadOnlyDictionary<int, int> Errors);

public sealed record RunResult(
    string Name,
    int Callers,
    int Agents,
    double? OfferedRate, // calls/s offered in all, agents' and people's; null: closed loop
    double Seconds,
    double DurablePerSecond,
    double CallsPerSecond,
    double P50,
    double P99,
    double P999,
    double AllCallsP99,
    int UnexpectedErrors,
    int Acknowledged,
    IReadOnlyList<KindResult> Kinds,
    IReadOnlyList<Check> Checks,
    double SlowestSeconds = 0,
    int UnavailableWithoutRetryAfter = 0,
    double SendLagP50 = 0, // ms, the generator's own delay inside every latency (Latencies.SendLag)
    double SendLagP99 = 0,
    double MachineBusyPercent = 0, // the whole machine in the window, every process (CpuTimes)
    double StealPercent = 0, // the machine's time the host took for something else (CpuTimes)
    int ConcurrentChanges = 0, // 409 concurrent_change answers among the refusals (issue 23: promised 0)
    IReadOnlyDictionary<string, double>? CoresBy = null) // cores each watched process tree kept busy in the window (ProcessCpu)
{
    /// <summary>Refused or failed calls by HTTP status over every kind (0: no HTTP answer).</summary>
    public IReadOnlyDictionary<int, int> Refusals => Kinds.SelectMany(k => k.Errors)
        .GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Sum(e => e.Value));

    public long Missing => Checks.Sum(c => c.Violations);
}

/// <summary>Sets up, runs the callers for warm-up plus the measured window, stops them, and verifies.</summary>
public static class LoadRun
{
    /// <summary>Creates the tenants a run needs (not measured).</summary>
    public static async Task<IReadOnlyList<Tenant>> SetUpAsync(Uri baseAddress, int users, int agentsPerUser, TextWriter log, CancellationToken ct = default)
    {
        var setup = Stopwatch.StartNew();
        var tenants = await Tenants.CreateAsync(baseAddress, users, agentsPerUser, parallelism: 16, ct);
        log.WriteLine($"  set up {tenants.Count} users with {agentsPerUser} agents each in {setup.Elapsed.TotalSeconds:F1} s");
        return tenants;
    }

    /// <summary>
    /// Runs the first <see cref="RunOptions.Users"/> tenants, each with its first <see cref="RunOptions.AgentsPerUser"/>
    /// agents, then verifies everything the run was told was done.
    /// </summary>
    public static async Task<RunResult> RunAsync(RunOptions options, IReadOnlyList<Tenant> prepared, TextWriter log, CancellationToken ct = default)
    {
        var clients = (options.SpreadOver.Count > 0 ? options.SpreadOver : [options.BaseAddress])
            .Select(address => Api.CreateHttp(address, options.MaxConnections)).ToArray();
        using var disposeClients = new Disposables(clients);
        var latencies = new Latencies();
        var ledger = new Ledger();
        var interval = options.CallInterval;
        List<Tenant> tenants = options.Ceiling ? [] : prepared.Take(options.Users).Select(t => t with { Agents = [.. t.Agents.Take(options.AgentsPerUser)] }).ToList();
        if (tenants.Count < options.Users && !options.Ceiling)
        {
            throw new InvalidOperationException($"The run needs {options.Users} users; {tenants.Count} were set up.");
        }

        foreach (var tenant in tenants)
        {
            ledger.Orgs.Add(tenant.OrgId);
        }

        if (options.Checkpoint && options.Database is { } checkpointed)
        {
            await using var connection = new NpgsqlConnection(checkpointed);
            await connection.OpenAsync(ct);
            await using var checkpoint = new NpgsqlCommand("CHECKPOINT", connection);
            await checkpoint.ExecuteNonQueryAsync(ct);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var callers = new List<Task>();
        var seed = 1;
        if (options.Ceiling)
        {
            for (var i = 0; i < options.Callers; i++)
            {
                var api = new Api(clients, "hd_agt_live_ceiling", latencies);
                var pacer = new Pacer(interval, new Random(seed++));
                callers.Add(Guard(CeilingServer.CallAsync(api, pacer, stop.Token)));
            }
        }
        else
        {
            foreach (var tenant in tenants)
            {
                foreach (var (agentId, secret) in tenant.Agents)
                {
                    var random = new Random(seed++);
                    callers.Add(Guard(Simulation.RunAgentAsync(
                        new Api(clients, secret, latencies), tenant, agentId, options, ledger, new Pacer(interval, random, options.Ramp), random, stop.Token)));
                }

                if (options.People)
                {
                    var random = new Random(seed++);
                    callers.Add(Guard(Simulation.RunPersonAsync(
                        new Api(clients, tenant.Pat, latencies), tenant, ledger, new Pacer(options.PersonInterval, random, options.Ramp), random, stop.Token)));
                }
            }
        }

        await Task.Delay(options.Warmup, ct);
        latencies.Measuring = true;
        var window = Stopwatch.StartNew();
        var cpuAtStart = CpuTimes.Read();
        var processesAtStart = ProcessCpu.Read(options.CpuOf);
        await Task.Delay(options.Duration, ct);
        latencies.Measuring = false;
        var seconds = window.Elapsed.TotalSeconds;
        var (busy, steal) = CpuTimes.Between(cpuAtStart, CpuTimes.Read());
        var coresBy = ProcessCpu.CoresBetween(processesAtStart, ProcessCpu.Read(options.CpuOf), seconds);
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        IReadOnlyList<Check> checks = [];
        if (options.Database is { } database)
        {
            var verify = Stopwatch.StartNew();
            checks = await Verifier.VerifyAsync(database, ledger, ct);
            log.WriteLine($"  verified {ledger.Acknowledged} acknowledged operations in {verify.Elapsed.TotalSeconds:F1} s");
        }

        var durable = latencies.All(kind => Simulation.DurableKinds.Contains(kind) || kind == CeilingServer.Kind);
        var all = latencies.All();
        return new RunResult(
            options.Name,
            options.Callers,
            tenants.Sum(t => t.Agents.Count),
            options.OfferedRate,
            seconds,
            durable.Count / seconds,
            all.Count / seconds,
            durable.Percentile(50),
            durable.Percentile(99),
            durable.Percentile(99.9),
            all.Percentile(99),
            all.Errors,
            ledger.Acknowledged,
            [.. latencies.Kinds.Select(k => new KindResult(
                k.Kind, k.Count, k.Count / seconds, k.Percentile(50), k.Percentile(99), k.Percentile(99.9), k.ErrorsByStatus.ToDictionary()))],
            checks,
            latencies.Slowest.TotalSeconds,
            latencies.UnavailableWithoutRetryAfter,
            latencies.SendLag.Percentile(50),
            latencies.SendLag.Percentile(99),
            busy,
            steal,
            latencies.ConcurrentChanges,
            coresBy);
    }

    private sealed class Disposables(IEnumerable<IDisposable> items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items)
            {
                item.Dispose();
            }
        }
    }

    /// <summary>A caller's loop ends by cancellation at the end of the run; anything else is a broken generator.</summary>
    private static async Task Guard(Task caller)
    {
        try
        {
            await caller;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
