using System.Diagnostics;
using Hourdini.Load;

namespace Hourdini.Load.Tests;

/// <summary>What a benchmark run reports beside its latencies (issue 6, docs/BENCHMARKS.md rounds 8 and 10): the machine's load and the host's steal, and the rate a paced run offers.</summary>
public class RunMeasuresTests
{
    [Fact]
    public void The_machines_busy_time_and_the_hosts_steal_are_read_as_shares_of_what_its_cores_could_do_in_the_window()
    {
        // user nice system idle iowait irq softirq steal guest guest_nice; 2 cores for 5 s: 1,000 ticks
        var start = CpuTimes.Parse("cpu  1000 10 200 5000 30 0 40 100 0 0", cores: 2, at: 0);
        var end = CpuTimes.Parse("cpu  1500 10 300 5290 30 0 50 200 0 0", cores: 2, at: 5 * Stopwatch.Frequency);

        var (busy, steal) = CpuTimes.Between(start, end);

        Assert.Equal(new CpuTimes(Idle: 5030, Steal: 100, Cores: 2, At: 0), start);
        Assert.Equal(61.0, busy, precision: 1); // 1,000 ticks less 290 idle and 100 taken by the host
        Assert.Equal(10.0, steal, precision: 1);
    }

    [Fact]
    public void Busy_time_the_kernels_ticks_never_sampled_still_counts_as_busy() // round 10: short bursts between idle spells
    {
        // 5 s on 2 cores: 1,000 ticks, of which only 24 were sampled busy and 790 idle; the other 186 went unsampled
        var start = CpuTimes.Parse("cpu  1000 0 200 5000 30 0 40 100 0 0", cores: 2, at: 0);
        var end = CpuTimes.Parse("cpu  1011 0 213 5790 30 0 40 100 0 0", cores: 2, at: 5 * Stopwatch.Frequency);

        var (busy, steal) = CpuTimes.Between(start, end);

        Assert.Equal(21.0, busy, precision: 1); // not 24 / 814 = 3 %
        Assert.Equal(0.0, steal, precision: 1);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("cpu0 1 2 3 4 5 6 7 8")]
    [InlineData("cpu  1 2 3")]
    [InlineData("cpu  1 2 3 4 5 6 x 8")]
    public void A_line_that_is_not_the_machines_total_reads_as_nothing_and_the_run_reports_zero(string? line)
    {
        Assert.Null(CpuTimes.Parse(line, cores: 2, at: 0));
        Assert.Equal((0, 0), CpuTimes.Between(CpuTimes.Parse(line, cores: 2, at: 0), CpuTimes.Parse("cpu  1 2 3 4 5 6 7 8", cores: 2, at: Stopwatch.Frequency)));
    }

    [Fact]
    public void No_cores_or_no_time_between_two_readings_reports_zero()
    {
        Assert.Null(CpuTimes.Parse("cpu  1 2 3 4 5 6 7 8", cores: 0, at: 0));
        var reading = CpuTimes.Parse("cpu  1 2 3 4 5 6 7 8", cores: 2, at: Stopwatch.Frequency);
        Assert.Equal((0, 0), CpuTimes.Between(reading, reading));
    }

    [Fact]
    public void This_machine_reports_its_cores_and_a_core_kept_busy_shows_as_busy() // the benchmark's machines run Linux
    {
        var first = CpuTimes.Read();
        Assert.NotNull(first);
        Assert.InRange(first.Value.Cores, 1, 4096);
        var spin = Stopwatch.StartNew();
        while (spin.ElapsedMilliseconds < 400)
        {
            // one core busy for the whole window
        }

        var (busy, steal) = CpuTimes.Between(first, CpuTimes.Read());
        Assert.InRange(busy, 50.0 / first.Value.Cores, 100); // at least half of that core's share, whatever the host took
        Assert.InRange(steal, 0, 100);
    }

    [Fact]
    public async Task A_call_held_up_by_its_callers_slow_previous_call_is_due_on_schedule_but_ready_only_once_that_call_returned()
    {
        var pacer = new Pacer(TimeSpan.FromMilliseconds(200), new Random(1));
        var first = await pacer.NextAsync(CancellationToken.None);
        Thread.Sleep(500); // the first call takes 500 ms: the next one, due 200 ms after the first, waits for it

        var next = await pacer.NextAsync(CancellationToken.None);

        Assert.Equal(first.At + Stopwatch.Frequency / 5, next.At); // latency still counts from the schedule
        Assert.InRange(Stopwatch.GetElapsedTime(next.At, next.Ready).TotalMilliseconds, 250, 10_000); // the send lag counts from here
        Assert.Equal(first.At, first.Ready); // on time, ready when due
    }

    [Fact]
    public async Task A_closed_loop_call_is_due_when_its_caller_is_ready()
    {
        var due = await new Pacer(null, new Random(1)).NextAsync(CancellationToken.None);

        Assert.Equal(due.At, due.Ready);
    }

    [Fact]
    public void A_paced_mix_offers_its_rate_over_the_agents_and_the_people_keep_their_own_pace()
    {
        var run = new RunOptions { Name = "paced", BaseAddress = new Uri("http://localhost"), Users = 200, AgentsPerUser = 5, Rate = 2000 };

        Assert.Equal(TimeSpan.FromSeconds(0.5), run.CallInterval); // 1,000 agents, each every 0.5 s
        Assert.Equal(2200, run.OfferedRate); // and 200 people once a second
    }

    [Fact]
    public void A_paced_ceiling_offers_its_rate_over_all_its_callers()
    {
        var run = new RunOptions { Name = "http-paced-80", BaseAddress = new Uri("http://localhost"), Users = 200, AgentsPerUser = 5, Rate = 2400, Ceiling = true };

        Assert.Equal(TimeSpan.FromSeconds(0.5), run.CallInterval); // 1,200 callers, each every 0.5 s
        Assert.Equal(2400, run.OfferedRate);
        Assert.Null((run with { Rate = null }).CallInterval); // closed loop
    }

    [Fact]
    public void A_process_line_is_read_past_a_name_with_spaces_and_parentheses() // /proc/<pid>/stat, fields 4 and 14-17
    {
        var stat = ProcessCpu.Parse(812, "812 (postgres: a (b)) S 77 812 812 0 -1 4194560 100 0 0 0 150 25 7 3 20 0 1 0 900 1000 200");

        Assert.Equal(new ProcessCpu.Stat(Pid: 812, Parent: 77, Own: 175, Reaped: 10), stat);
        Assert.Null(ProcessCpu.Parse(1, "1 (init"));
    }

    [Fact]
    public void A_watched_process_counts_the_cpu_of_its_children_also_after_they_have_exited()
    {
        // bash spins a grandchild for 0.6 s, which exits (reaped by its parent, then that one by bash), and bash sleeps on.
        using var tree = Process.Start("bash", ["-c", "timeout 0.6 bash -c 'while :; do :; done'; sleep 2"]);
        try
        {
            var watch = new Dictionary<string, int> { ["tree"] = tree.Id };
            var start = ProcessCpu.Read(watch);
            Thread.Sleep(1200);

            var cores = ProcessCpu.CoresBetween(start, ProcessCpu.Read(watch), seconds: 1.2);

            Assert.InRange(cores["tree"], 0.2, 1.0); // about 0.6 s of one core in 1.2 s: counted though the spinner is gone
            Assert.True(cores.ContainsKey("load"));
        }
        finally
        {
            tree.Kill(entireProcessTree: true);
        }
    }

    [Theory]
    [InlineData("gateway")]
    [InlineData("gateway=x")]
    [InlineData("=12")]
    [InlineData("gateway=-3")]
    public void A_watch_that_is_not_name_equals_pid_is_refused(string spec) =>
        Assert.Throws<ArgumentException>(() => ProcessCpu.ParseWatch(spec));
}
