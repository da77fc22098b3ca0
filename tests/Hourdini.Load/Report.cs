using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Hourdini.Load;

public sealed record PgbenchResult(double Tps, int Clients, double Seconds, double LatencyMs);

/// <summary>Prints one run, and the benchmark's table with ratios to the ceilings measured in the same run.</summary>
public static class Report
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Print(RunResult r, TextWriter output)
    {
        output.WriteLine(string.Create(Invariant, $"  {r.Name}: {r.DurablePerSecond:F0} durable ops/s, {r.CallsPerSecond:F0} calls/s; durable p50 {r.P50:F1} ms, p99 {r.P99:F1} ms, p99.9 {r.P999:F1} ms; all calls p99 {r.AllCallsP99:F1} ms; unexpected errors {r.UnexpectedErrors}"));
        output.WriteLine(string.Create(Invariant, $"    the generator's own send lag (due, or ready after a late previous call -> sent), inside every latency above: p50 {r.SendLagP50:F1} ms, p99 {r.SendLagP99:F1} ms"));
        output.WriteLine(string.Create(Invariant, $"    the machine in the window: cores {r.MachineBusyPercent:F0} % busy (every process), {r.StealPercent:F0} % taken by the host (steal)"));
        if (r.CoresBy is { Count: > 0 } by)
        {
            var busyCores = r.MachineBusyPercent / 100 * Environment.ProcessorCount;
            output.WriteLine(string.Create(Invariant,
                $"    cores busy by process: {string.Join(", ", by.Select(p => $"{p.Key} {p.Value:F2}"))}, anything else {Math.Max(0, busyCores - by.Values.Sum()):F2}; CPU per 1,000 durable ops: {string.Join(", ", by.Select(p => $"{p.Key} {1000 * p.Value / r.DurablePerSecond * 1000:F0} ms"))}"));
        }

        output.WriteLine("    kind          calls    /s        p50 ms   p99 ms   p99.9 ms  refused (status: count)");
        foreach (var k in r.Kinds)
        {
            output.WriteLine(string.Create(Invariant,
                $"    {k.Kind,-12} {k.Count,7} {k.PerSecond,8:F0} {k.P50,9:F1} {k.P99,8:F1} {k.P999,9:F1}  {string.Join(", ", k.Errors.Select(e => $"{e.Key}: {e.Value}"))}"));
        }

        foreach (var check in r.Checks.Where(c => c.Violations > 0))
        {
            output.WriteLine($"    BROKEN: {check.Name}: {check.Violations}");
        }

        if (r.Checks.Count > 0 && r.Missing == 0)
        {
            output.WriteLine($"    verified: all {r.Acknowledged} acknowledged operations stored; {r.Checks.Count} checks hold");
        }
    }

    public static int FromFolder(string folder, Arguments options, TextWriter output)
    {
        var runs = Directory.GetFiles(folder, "*.json")
            .Where(f => Path.GetFileName(f) is not ("idle.json" or "idle-agents.json" or "machine.json" or "storage.json") && !Path.GetFileName(f).StartsWith("pgbench", StringComparison.Ordinal))
            .Select(f => JsonSerializer.Deserialize<RunResult>(File.ReadAllText(f), Bench.Json)!)
            .ToDictionary(r => r.Name);
        var idle = Read<IdleResult>(Path.Combine(folder, "idle.json"));
        var idleAgents = Read<IdleAgentsResult>(Path.Combine(folder, "idle-agents.json"));
        var pgbench = Read<PgbenchResult>(Path.Combine(folder, "pgbench.json"));
        var pgbenchPaced80 = Read<PacedCeilingResult>(Path.Combine(folder, "pgbench-paced-80.json"));
        var pgbenchAtOur80 = Read<PacedCeilingResult>(Path.Combine(folder, "pgbench-at-80.json"));
        var pgbenchAtOpen = Read<PacedCeilingResult>(Path.Combine(folder, "pgbench-at-open.json"));
        var pgbenchTogether80 = Read<PacedCeilingResult>(Path.Combine(folder, "pgbench-together-80.json"));
        var pgbenchTogetherOpen = Read<PacedCeilingResult>(Path.Combine(folder, "pgbench-together-open.json"));
        var http = runs.GetValueOrDefault("http-ceiling");
        var httpAt80 = runs.GetValueOrDefault("http-paced-80");
        var headline = runs.GetValueOrDefault($"closed-{Bench.HeadlineAgents}");
        var paced = runs.Values.Where(r => r.Name.StartsWith("paced-", StringComparison.Ordinal)).OrderBy(r => r.OfferedRate).ToList();
        var open = runs.Values.FirstOrDefault(r => r.Name.StartsWith("open-", StringComparison.Ordinal));
        var sweep = runs.Values.Where(r => r.Name.StartsWith("closed-", StringComparison.Ordinal)).OrderBy(r => r.Agents).ToList();

        var md = new StringBuilder();
        md.AppendLine("| measure | this run | ceiling (same run) | ratio | target |");
        md.AppendLine("|---|---:|---:|---:|---|");
        if (headline is not null)
        {
            md.AppendLine(Invariant, $"| durable ops/s, {headline.Agents} agents + {headline.Callers - headline.Agents} people, closed loop | {headline.DurablePerSecond:F0} | pgbench -N: {pgbench?.Tps:F0} TPS | **{Ratio(headline.DurablePerSecond, pgbench?.Tps)}** | ≥ 0.8× |");
            md.AppendLine(Invariant, $"| all calls/s, same run (incl. heartbeats, pulls, refusals) | {headline.CallsPerSecond:F0} | HTTP: {http?.CallsPerSecond:F0} calls/s | **{Ratio(headline.CallsPerSecond, http?.CallsPerSecond)}** | — |");
            md.AppendLine(Invariant, $"| durable p50 / p99 / p99.9, same run | {headline.P50:F1} / {headline.P99:F1} / {headline.P999:F1} ms | HTTP p99: {http?.P99:F1} ms | | — |");
        }

        // The trivial endpoint at the 80 % run's rate, and pgbench -N at its durable rate: what p99 this machine gives there
        // for a call that stores nothing, and for PostgreSQL committing as many one-write transactions.
        var floorAt80 = string.Join("; ", new[]
        {
            httpAt80 is null ? null : string.Create(Invariant, $"HTTP at the same rate: p99 {httpAt80.P99:F1} ms"),
            pgbenchAtOur80 is null ? null : string.Create(Invariant, $"pgbench -N at the same durable rate ({pgbenchAtOur80.OfferedRate:F0} TPS): p99 {pgbenchAtOur80.P99:F1} ms"),
        }.OfType<string>());
        foreach (var p in paced)
        {
            // Issue 23: the latency target is a ratio to PostgreSQL alone paced at the same durable rate.
            var at80 = p.Name == "paced-80";
            md.AppendLine(Invariant, $"| p99 at {p.Name["paced-".Length..]} % of that rate ({p.OfferedRate:F0} calls/s offered, {p.CallsPerSecond:F0} served) | durable {p.P99:F1} ms, all calls {p.AllCallsP99:F1} ms (generator's send lag p99 {p.SendLagP99:F1} ms; host steal {p.StealPercent:F0} %) | {(at80 ? floorAt80 : "")} | {(at80 ? $"**{Ratio(p.P99, pgbenchAtOur80?.P99)}**" : "")} | {(at80 ? "≤ 1.5× pgbench -N at the same rate" : "—")} |");
        }

        // Issue 23: the trivial endpoint and pgbench -N at once, at the 80 % run's rates: HTTP beside one transaction per
        // write, with no service between them. pgbench's p99 beside the HTTP load, over its p99 alone, is what a service
        // that commits each call in its own transaction would start from on these cores (one that groups commits, as
        // Hourdini does, can do better: round 19).
        md.Append(Together("the 80 % run's", runs.GetValueOrDefault("http-together-80"), pgbenchTogether80, pgbenchAtOur80, "1.5×"));

        if (pgbenchPaced80 is not null)
        {
            md.AppendLine(Invariant, $"| the ceiling itself at 80 % of its rate: pgbench -N paced at {pgbenchPaced80.OfferedRate:F0} TPS ({pgbenchPaced80.PerSecond:F0} committed) | | p50 / p99 / p99.9: {pgbenchPaced80.P50:F1} / {pgbenchPaced80.P99:F1} / {pgbenchPaced80.P999:F1} ms (cores {pgbenchPaced80.MachineBusyPercent:F0} % busy; host steal {pgbenchPaced80.StealPercent:F0} %) | | — |");
        }

        if (open is not null)
        {
            var openFloor = pgbenchAtOpen is null ? "" : string.Create(Invariant, $"pgbench -N at the same durable rate ({pgbenchAtOpen.OfferedRate:F0} TPS): p99 {pgbenchAtOpen.P99:F1} ms");
            md.AppendLine(Invariant, $"| {open.Agents} agents with open sessions ({open.OfferedRate:F0} calls/s offered): p99, unexpected errors | all calls {open.AllCallsP99:F1} ms, {open.UnexpectedErrors} errors | {openFloor} | **{Ratio(open.AllCallsP99, pgbenchAtOpen?.P99)}** | ≤ 3× pgbench -N at the same rate, 0 |");
        }

        md.Append(Together("the open-sessions run's", runs.GetValueOrDefault("http-together-open"), pgbenchTogetherOpen, pgbenchAtOpen, "3×"));

        // Issue 23: the grain storages side by side, each as a ratio to pgbench -N of this run.
        if (File.Exists(Path.Combine(folder, "storage.json")))
        {
            using var storage = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "storage.json")));
            var storages = storage.RootElement.GetProperty("storages");
            double Writes(string name) => storages.GetProperty(name).GetProperty("writes_per_second").GetDouble();
            double P99(string name) => storages.GetProperty(name).GetProperty("p99_ms").GetDouble();
            md.AppendLine(Invariant, $"| grain writes/s, our storage (group commit) vs Orleans' ADO.NET provider, same grains and callers | ours {Writes("tracking"):F0} (p99 {P99("tracking"):F1} ms), ADO.NET {Writes("documents"):F0} (p99 {P99("documents"):F1} ms) | pgbench -N: {pgbench?.Tps:F0} TPS | **{Ratio(Writes("tracking"), pgbench?.Tps)} vs {Ratio(Writes("documents"), pgbench?.Tps)}** | — |");
        }

        if (idle is not null)
        {
            md.AppendLine(Invariant, $"| resident memory per idle open session ({idle.Sessions} opened) | {idle.BytesPerSession:F0} B | | | ≤ 4096 B |");
        }

        if (idleAgents is { Measured: false })
        {
            md.AppendLine(Invariant, $"| agents' open sessions left idle ({idleAgents.Sessions} opened) | not measured: the session activation gauge rose by {idleAgents.HeldWhileLive} | | | ≤ 4096 B |");
        }
        else if (idleAgents is not null)
        {
            md.AppendLine(Invariant, $"| agents' open sessions left idle ({idleAgents.Sessions} opened): after {idleAgents.WaitedSeconds:F0} s without a call, {idleAgents.ActivationsAfter} session activations of any kind left, so at most {idleAgents.ActivationsLeft} of their {idleAgents.HeldWhileLive} (while they lived, the gateway's RSS grew {idleAgents.BytesPerLiveSession:F0} B a session, garbage included) | {idleAgents.BytesPerIdleSession:F0} B | | | ≤ 4096 B |");
        }

        var all = runs.Values.Where(r => !IsCeiling(r)).ToList();
        md.AppendLine(Invariant, $"| acknowledged operations missing / rules broken (all runs, {all.Sum(r => r.Acknowledged)} acknowledged) | {all.Sum(r => r.Missing)} | | | 0 |");
        md.AppendLine();
        md.AppendLine("| run | agents | callers | offered calls/s | durable ops/s | calls/s | durable p50 ms | p99 ms | p99.9 ms | all calls p99 ms | unexpected errors | cores busy | host steal |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in runs.Values.OrderBy(r => IsCeiling(r) ? 0 : 1).ThenBy(r => r.Name.StartsWith("closed-", StringComparison.Ordinal) ? 0 : 1).ThenBy(r => r.Agents).ThenBy(r => r.OfferedRate))
        {
            md.AppendLine(Invariant, $"| {r.Name} | {r.Agents} | {r.Callers} | {(r.OfferedRate is { } o ? o.ToString("F0", Invariant) : "closed")} | {r.DurablePerSecond:F0} | {r.CallsPerSecond:F0} | {r.P50:F1} | {r.P99:F1} | {r.P999:F1} | {r.AllCallsP99:F1} | {r.UnexpectedErrors} | {r.MachineBusyPercent:F0} % | {r.StealPercent:F0} % |");
        }

        PacedCeilingResult[] pgbenchPaced = [.. new[] { pgbenchPaced80, pgbenchAtOur80, pgbenchAtOpen, pgbenchTogether80, pgbenchTogetherOpen }.OfType<PacedCeilingResult>()];
        if (pgbenchPaced.Length > 0)
        {
            md.AppendLine();
            md.AppendLine("| pgbench -N, paced | offered TPS | committed TPS | p50 ms | p99 ms | p99.9 ms | failed | cores busy | host steal |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var p in pgbenchPaced)
            {
                md.AppendLine(Invariant, $"| {p.Name} | {p.OfferedRate:F0} | {p.PerSecond:F0} | {p.P50:F1} | {p.P99:F1} | {p.P999:F1} | {p.Failed} | {p.MachineBusyPercent:F0} % | {p.StealPercent:F0} % |");
            }
        }

        // The runs the targets are about, kind by kind: which calls make a run's tail.
        foreach (var run in new[] { headline, runs.GetValueOrDefault("paced-80"), runs.Values.FirstOrDefault(r => r.Name.StartsWith("open-", StringComparison.Ordinal)) }.OfType<RunResult>())
        {
            md.AppendLine();
            md.AppendLine($"Per kind, {run.Name}:");
            md.AppendLine();
            md.AppendLine("| kind | calls/s | p50 ms | p99 ms | p99.9 ms | refusals |");
            md.AppendLine("|---|---:|---:|---:|---:|---|");
            foreach (var k in run.Kinds)
            {
                md.AppendLine(Invariant, $"| {k.Kind} | {k.PerSecond:F0} | {k.P50:F1} | {k.P99:F1} | {k.P999:F1} | {string.Join(", ", k.Errors.Select(e => $"{e.Key}: {e.Value}"))} |");
            }
        }

        var text = md.ToString();
        output.Write(text);
        if (options.Find("markdown") is { } markdown)
        {
            File.WriteAllText(markdown, text);
        }

        if (options.Find("svg") is { } svg && sweep.Count > 1)
        {
            File.WriteAllText(svg, Chart(sweep));
        }

        return all.Sum(r => r.Missing) == 0 ? 0 : 1;
    }

    /// <summary>
    /// A row for a run of the trivial endpoint and <c>pgbench -N</c> at once (<c>deploy/bench.sh</c>'s ceilings 6 and 7), or
    /// nothing when the run did not happen: pgbench's p99 beside the HTTP load over its p99 alone at the same rate, and
    /// how many of the transactions asked for it committed.
    /// </summary>
    private static string Together(string rates, RunResult? http, PacedCeilingResult? pgbench, PacedCeilingResult? alone, string target)
    {
        if (http is null || pgbench is null)
        {
            return "";
        }

        return string.Create(Invariant,
            $"| no service between them: the trivial endpoint ({http.OfferedRate:F0} calls/s offered) and pgbench -N ({pgbench.OfferedRate:F0} TPS offered, {pgbench.PerSecond:F0} committed) at once, at {rates} rates | pgbench -N p99 {pgbench.P99:F1} ms, the endpoint's p99 {http.P99:F1} ms (cores {pgbench.MachineBusyPercent:F0} % busy; host steal {pgbench.StealPercent:F0} %) | pgbench -N alone at that rate: p99 {alone?.P99:F1} ms | **{Ratio(pgbench.P99, alone?.P99)}** (HTTP beside one transaction per write) | the target above: ≤ {target} |\n");
    }

    /// <summary>The trivial endpoint's runs (<c>http-ceiling</c>, and <c>http-paced-80</c>: the same endpoint at the 80 % run's rate).</summary>
    private static bool IsCeiling(RunResult run) => run.Name.StartsWith("http-", StringComparison.Ordinal);

    private static string Ratio(double value, double? ceiling) =>
        ceiling is > 0 ? (value / ceiling.Value).ToString("F2", Invariant) + "×" : "n/a";

    private static T? Read<T>(string path) where T : class =>
        File.Exists(path) ? JsonSerializer.Deserialize<T>(File.ReadAllText(path), Bench.Json) : null;

    /// <summary>Throughput (bars) and p99 (line, log scale) against the number of agents (log scale).</summary>
    private static string Chart(IReadOnlyList<RunResult> sweep)
    {
        const double W = 640, H = 360, Left = 70, Right = 70, Top = 30, Bottom = 50;
        double plotW = W - Left - Right, plotH = H - Top - Bottom;
        var maxOps = Nice(sweep.Max(r => r.DurablePerSecond));
        var maxP99 = Math.Max(10, sweep.Max(r => r.P99));
        var minLog = Math.Log10(1);
        var maxLog = Math.Ceiling(Math.Log10(maxP99));
        double X(int i) => Left + (i + 0.5) * plotW / sweep.Count;
        double YOps(double v) => Top + plotH * (1 - v / maxOps);
        double YP99(double v) => Top + plotH * (1 - (Math.Log10(Math.Max(1, v)) - minLog) / (maxLog - minLog));

        var svg = new StringBuilder();
        svg.AppendLine(Invariant, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">""");
        svg.AppendLine("""<rect width="100%" height="100%" fill="white"/>""");
        svg.AppendLine(Invariant, $"""<text x="{W / 2}" y="18" text-anchor="middle" font-size="14">Durable ops/s (bars) and durable p99 (line) against concurrent agents, closed loop</text>""");
        for (var t = 0; t <= 4; t++)
        {
            var v = maxOps * t / 4;
            svg.AppendLine(Invariant, $"""<line x1="{Left}" x2="{W - Right}" y1="{YOps(v):F1}" y2="{YOps(v):F1}" stroke="#e5e7eb"/><text x="{Left - 6}" y="{YOps(v) + 4:F1}" text-anchor="end" fill="#2563eb">{v:F0}</text>""");
        }

        for (var e = minLog; e <= maxLog; e++)
        {
            svg.AppendLine(Invariant, $"""<text x="{W - Right + 6}" y="{YP99(Math.Pow(10, e)) + 4:F1}" fill="#dc2626">{Math.Pow(10, e):G} ms</text>""");
        }

        var points = new List<string>();
        for (var i = 0; i < sweep.Count; i++)
        {
            var r = sweep[i];
            var barW = plotW / sweep.Count * 0.5;
            svg.AppendLine(Invariant, $"""<rect x="{X(i) - barW / 2:F1}" y="{YOps(r.DurablePerSecond):F1}" width="{barW:F1}" height="{Top + plotH - YOps(r.DurablePerSecond):F1}" fill="#93c5fd"/>""");
            svg.AppendLine(Invariant, $"""<text x="{X(i):F1}" y="{YOps(r.DurablePerSecond) - 4:F1}" text-anchor="middle" fill="#1e40af">{r.DurablePerSecond:F0}</text>""");
            svg.AppendLine(Invariant, $"""<text x="{X(i):F1}" y="{H - Bottom + 18}" text-anchor="middle">{r.Agents} agents</text>""");
            points.Add(string.Create(Invariant, $"{X(i):F1},{YP99(r.P99):F1}"));
            svg.AppendLine(Invariant, $"""<circle cx="{X(i):F1}" cy="{YP99(r.P99):F1}" r="4" fill="#dc2626"/><text x="{X(i) + 8:F1}" y="{YP99(r.P99) - 6:F1}" fill="#991b1b">{r.P99:F1} ms</text>""");
        }

        svg.AppendLine($"""<polyline points="{string.Join(' ', points)}" fill="none" stroke="#dc2626" stroke-width="2"/>""");
        svg.AppendLine(Invariant, $"""<text x="{W / 2}" y="{H - 10}" text-anchor="middle" fill="#6b7280">each agent's owner works too (1 person per 5 agents); {sweep[0].Seconds:F0} s per point</text>""");
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static double Nice(double max)
    {
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(1, max))));
        return Math.Ceiling(max / magnitude) * magnitude;
    }
}
