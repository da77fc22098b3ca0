using System.Diagnostics;
using System.Globalization;

namespace Hourdini.Load;

/// <summary>One paced run of <c>pgbench -N</c>: what PostgreSQL alone answers, one transaction per write, at a set rate.</summary>
public sealed record PacedCeilingResult(
    string Name,
    double OfferedRate, // transactions/s asked of pgbench (-R)
    double Seconds,
    double PerSecond, // transactions/s committed
    long Transactions,
    long Failed,
    double P50, // ms, counted from when each transaction was scheduled, as the load generator counts its calls
    double P99,
    double P999,
    double MachineBusyPercent,
    double StealPercent);

/// <summary>
/// The one-transaction-per-write ceiling, paced (docs/BENCHMARKS.md, round 10). The latency target is a p99 at 80 % of
/// a sustained rate; this asks the same of PostgreSQL itself: <c>pgbench -N -R rate</c> for the same duration against
/// the same cluster, every transaction logged (<c>-l</c>), its p99 read with the load generator's own percentile. Under
/// <c>-R</c>, pgbench times each transaction from when it was scheduled, not from when it started, so a late client is in
/// its latency as the generator's send lag is in ours (no coordinated omission on either side).
/// </summary>
public static class PgbenchPaced
{
    public static async Task<PacedCeilingResult> RunAsync(Arguments options, TextWriter log, CancellationToken ct)
    {
        var name = options.Get("name", "pgbench-paced");
        var rate = options.Double("rate", 0);
        var seconds = options.Int("seconds", 15);
        if (rate <= 0 || seconds <= 0)
        {
            throw new ArgumentException("--rate and --seconds must be positive.");
        }

        var logs = Directory.CreateTempSubdirectory("hourdini-pgbench-");
        try
        {
            var start = new ProcessStartInfo(options.Require("pgbench"))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = logs.FullName,
            };
            foreach (var arg in (string[])[
                "-h", options.Get("host", "127.0.0.1"), "-p", options.Require("port"), "-U", options.Get("user", "hourdini"),
                "-N", "-n", "-c", options.Get("clients", "32"), "-j", "2", "-T", seconds.ToString(CultureInfo.InvariantCulture),
                "-R", rate.ToString("F0", CultureInfo.InvariantCulture), "-l", "--log-prefix", Path.Combine(logs.FullName, "tx"),
                options.Get("db", "pgbench")])
            {
                start.ArgumentList.Add(arg);
            }

            var cpuAtStart = CpuTimes.Read();
            using var pgbench = Process.Start(start) ?? throw new InvalidOperationException("pgbench did not start.");
            var stdout = pgbench.StandardOutput.ReadToEndAsync(ct);
            var stderr = pgbench.StandardError.ReadToEndAsync(ct);
            try
            {
                await pgbench.WaitForExitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                pgbench.Kill(); // a stopped bench leaves no pgbench loading the cluster it is about to stop
                throw;
            }

            var (busy, steal) = CpuTimes.Between(cpuAtStart, CpuTimes.Read());
            if (pgbench.ExitCode != 0)
            {
                throw new InvalidOperationException($"pgbench exited with {pgbench.ExitCode}: {await stderr}{await stdout}");
            }

            var (latencies, failed) = ReadLog(Directory.GetFiles(logs.FullName, "tx.*").SelectMany(File.ReadLines));
            if (latencies.Count == 0)
            {
                throw new InvalidOperationException("pgbench logged no transaction.");
            }

            var result = new PacedCeilingResult(
                name, rate, seconds, latencies.Count / (double)seconds, latencies.Count, failed,
                latencies.Percentile(50), latencies.Percentile(99), latencies.Percentile(99.9), busy, steal);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name}: {result.OfferedRate:F0} TPS offered, {result.PerSecond:F0} committed; p50 {result.P50:F1} ms, p99 {result.P99:F1} ms, p99.9 {result.P999:F1} ms; {failed} failed; cores {busy:F0} % busy, steal {steal:F0} %"));
            return result;
        }
        finally
        {
            logs.Delete(recursive: true);
        }
    }

    /// <summary>
    /// pgbench's per-transaction log: <c>client_id transaction_no time script_no time_epoch time_us [schedule_lag]</c>,
    /// <c>time</c> in microseconds; a transaction that did not commit logs <c>failed</c> (or <c>skipped</c>) there instead.
    /// </summary>
    public static (OperationStats Latencies, long Failed) ReadLog(IEnumerable<string> lines)
    {
        var latencies = new OperationStats("pgbench");
        long failed = 0;
        foreach (var line in lines)
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6)
            {
                continue;
            }

            if (int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var micros))
            {
                latencies.Add(micros);
            }
            else
            {
                failed++;
            }
        }

        return (latencies, failed);
    }
}
