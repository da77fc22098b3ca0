using Hourdini.Load;

namespace Hourdini.Load.Tests;

/// <summary>
/// The one-transaction-per-write ceiling, paced (issue 6's p99 at 80 % target asked of PostgreSQL alone;
/// docs/BENCHMARKS.md, round 10): pgbench's own log read as the generator reads its calls, and the report's rows.
/// </summary>
public class PgbenchPacedTests
{
    [Fact]
    public void Each_committed_transaction_counts_its_time_from_its_schedule_and_one_that_did_not_commit_counts_as_failed()
    {
        // client_id transaction_no time script_no time_epoch time_us schedule_lag (under -R)
        string[] log =
        [
            .. Enumerable.Range(1, 98).Select(i => $"0 {i} {1000 + i} 0 1763790000 {i} 100"),
            "1 1 25000 0 1763790001 0 20000", // 20 ms late to start, 5 ms to run: 25 ms, as scheduled
            "1 2 60000 0 1763790001 5 55000",
            "1 3 failed 0 1763790002 0 0",
            "1 4 skipped 0 1763790002 0 0",
            "",
        ];

        var (latencies, failed) = PgbenchPaced.ReadLog(log);

        Assert.Equal(100, latencies.Count);
        Assert.Equal(2, failed);
        Assert.Equal(1.050, latencies.Percentile(50), precision: 3);
        Assert.Equal(25.0, latencies.Percentile(99), precision: 3); // the 99th of 100: the late one, with its lag
        Assert.Equal(60.0, latencies.Percentile(99.9), precision: 3);
    }

    [Fact]
    public void The_report_sets_pgbench_paced_beside_the_80_percent_run_and_does_not_read_its_files_as_runs()
    {
        var folder = Directory.CreateTempSubdirectory("hourdini-report-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "pgbench.json"), """{"tps": 4000, "clients": 32, "seconds": 15, "latency_ms": 7.9}""");
            Write(folder, "pgbench-paced-80", new PacedCeilingResult("pgbench-paced-80", 3200, 15, 3190, 47850, 0, 5.2, 61.5, 90.1, 91, 0));
            Write(folder, "pgbench-at-80", new PacedCeilingResult("pgbench-at-80", 2400, 15, 2399, 35985, 0, 2.1, 18.4, 30.2, 70, 1));
            Write(folder, "paced-80", new RunResult("paced-80", 1200, 1000, 3300, 15, 2400, 3300, 12, 63.5, 92.5, 60.8, 0, 1000, [], []));

            var output = new StringWriter();
            var exit = Report.FromFolder(folder.FullName, Arguments.Parse([]), output);

            var table = output.ToString();
            Assert.Equal(0, exit);
            Assert.Contains("pgbench -N at the same durable rate (2400 TPS): p99 18.4 ms", table);
            Assert.Contains("| the ceiling itself at 80 % of its rate: pgbench -N paced at 3200 TPS (3190 committed) | | p50 / p99 / p99.9: 5.2 / 61.5 / 90.1 ms", table);
            Assert.Contains("| pgbench-at-80 | 2400 | 2399 | 2.1 | 18.4 | 30.2 | 0 | 70 % | 1 % |", table);
            Assert.DoesNotContain("| pgbench-paced-80 | 0 |", table); // not a run of the generator
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_report_sets_pgbench_beside_the_trivial_endpoint_over_pgbench_alone_at_the_same_rate()
    {
        var folder = Directory.CreateTempSubdirectory("hourdini-report-");
        try
        {
            Write(folder, "pgbench-at-80", new PacedCeilingResult("pgbench-at-80", 2400, 15, 2399, 35985, 0, 2.1, 18.4, 30.2, 70, 1));
            Write(folder, "pgbench-together-80", new PacedCeilingResult("pgbench-together-80", 2400, 15, 2390, 35850, 0, 3.0, 36.8, 50.0, 93, 0));
            Write(folder, "http-together-80", new RunResult("http-together-80", 1200, 0, 3300, 15, 3300, 3300, 1.0, 9.5, 20.1, 9.5, 0, 0, [], []));
            Write(folder, "paced-80", new RunResult("paced-80", 1200, 1000, 3300, 15, 2400, 3300, 12, 63.5, 92.5, 60.8, 0, 1000, [], []));

            var output = new StringWriter();
            Report.FromFolder(folder.FullName, Arguments.Parse([]), output);

            var table = output.ToString();
            Assert.Contains("| no service between them: the trivial endpoint (3300 calls/s offered) and pgbench -N (2400 TPS offered, 2390 committed) at once, at the 80 % run's rates | pgbench -N p99 36.8 ms, the endpoint's p99 9.5 ms (cores 93 % busy; host steal 0 %) | pgbench -N alone at that rate: p99 18.4 ms | **2.00×**", table);
            Assert.Contains("| pgbench-together-80 | 2400 | 2390 | 3.0 | 36.8 | 50.0 | 0 | 93 % | 0 % |", table);
            Assert.DoesNotContain("the open-sessions run's rates", table); // that pair did not run
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static void Write<T>(DirectoryInfo folder, string name, T result) =>
        Bench.WriteAsync(Path.Combine(folder.FullName, name + ".json"), result).GetAwaiter().GetResult();
}
