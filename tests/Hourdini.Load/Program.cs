using System.Text.Json;
using Hourdini.Load;

// The load generator (docs/BENCHMARKS.md). Commands:
//   run            one run against a gateway: set up tenants, drive the mix, verify from the database
//   suite          the benchmark's runs against one gateway: a concurrency sweep, 80 % of the best rate,
//                  5,000 agents with open sessions, and resident memory per idle open session
//   ceiling-server the trivial Kestrel endpoint (the HTTP ceiling)
//   pgbench-paced  the one-transaction-per-write ceiling at a set rate: pgbench -N -R, its p50/p99 from its own log
//   report         the table (and chart) from a folder of results, with ratios to the ceilings
//   faults         the fault scenarios against a deploy/cluster.sh cluster (docs/RELIABILITY.md)
//   fuzz           the bounded fuzzer: hostile input on every route (docs/RELIABILITY.md)
//   reports        a year of entries in one org (COPY), then GET /reports/summary timed per grouping (docs/BENCHMARKS.md)
var command = args.FirstOrDefault() ?? "help";
var options = Arguments.Parse(args.Skip(1));
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

switch (command)
{
    case "ceiling-server":
        await CeilingServer.ServeAsync(options.Get("urls", "http://127.0.0.1:5099"), cancel.Token);
        return 0;

    case "run":
        {
            var run = Bench.RunOptionsFrom(options, options.Get("name", options.Has("ceiling") ? "http-ceiling" : "run"));
            var tenants = run.Ceiling ? [] : await LoadRun.SetUpAsync(run.BaseAddress, run.Users, run.AgentsPerUser, Console.Out, cancel.Token);
            var result = await LoadRun.RunAsync(run, tenants, Console.Out, cancel.Token);
            Report.Print(result, Console.Out);
            if (options.Find("json") is { } path)
            {
                await Bench.WriteAsync(path, result);
            }

            return result.Missing == 0 && result.UnexpectedErrors <= options.Int("allowed-errors", 0) ? 0 : 1;
        }

    case "reports":
        return await ReportsBench.RunAsync(options, Console.Out, cancel.Token);

    case "suite":
        return await Bench.SuiteAsync(options, Console.Out, cancel.Token);

    case "faults":
        {
            var results = await Hourdini.Load.Faults.FaultSuite.RunAsync(options, Console.Out, cancel.Token);
            if (options.Find("json") is { } path)
            {
                await Bench.WriteAsync(path, results);
            }

            return results.All(r => r.Passed) ? 0 : 1;
        }

    case "fuzz":
        {
            var fuzz = await new Hourdini.Load.Fuzz.Fuzzer(
                new Uri(options.Require("url")), options.Require("db"), options.Int("budget", 3000), options.Int("seed", 7), Console.Out).RunAsync(cancel.Token);
            fuzz.Print(Console.Out);
            if (options.Find("json") is { } path)
            {
                await Bench.WriteAsync(path, fuzz);
            }

            return fuzz.Passed ? 0 : 1;
        }

    case "pgbench-paced":
        {
            var result = await PgbenchPaced.RunAsync(options, Console.Out, cancel.Token);
            if (options.Find("json") is { } path)
            {
                await Bench.WriteAsync(path, result);
            }

            return result.Failed == 0 ? 0 : 1;
        }

    case "report":
        return Report.FromFolder(options.Get("out", "artifacts/bench"), options, Console.Out);

    default:
        Console.Error.WriteLine("usage: Hourdini.Load run|suite|faults|fuzz|ceiling-server|pgbench-paced|report [--option value ...]; see docs/BENCHMARKS.md");
        return 2;
}

/// <summary>Command-line options as <c>--name value</c> pairs and bare <c>--flag</c>s.</summary>
public sealed class Arguments
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    public static Arguments Parse(IEnumerable<string> args)
    {
        var parsed = new Arguments();
        string? pending = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                pending = arg[2..];
                parsed._values[pending] = null;
            }
            else if (pending is not null)
            {
                parsed._values[pending] = arg;
                pending = null;
            }
            else
            {
                throw new ArgumentException($"Unexpected argument '{arg}'.");
            }
        }

        return parsed;
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Find(string name) => _values.GetValueOrDefault(name);

    public string Get(string name, string fallback) => Find(name) ?? fallback;

    public string Require(string name) => Find(name) ?? throw new ArgumentException($"--{name} is required.");

    public int Int(string name, int fallback) => Find(name) is { } v ? int.Parse(v) : fallback;

    public double Double(string name, double fallback) => Find(name) is { } v ? double.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;
}
