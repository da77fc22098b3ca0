using System.Diagnostics;
using Hourdini.Load;

namespace Hourdini.Load.Tests;

/// <summary>What a benchmark run reports beside its latencies (issue 6, docs/BENCHMARKS.md round 8): the machine's load and the host's steal, and the rate a paced run offers.</summary>
public class RunMeasuresTests
{
    [Fact]
    public void The_machines_busy_time_and_the_hosts_steal_are_read_as_shares_of_all_its_time_in_the_window()
    {
        // user nice system idle iowait irq softirq steal guest guest_nice
        var start = CpuTimes.Parse("cpu  1000 10 200 5000 30 0 40 100 0 0");
        var end = CpuTimes.Parse("cpu  1500 10 300 5290 30 0 50 200 0 0");

        var (busy, steal) = CpuTimes.Between(start, end);

        Assert.Equal(new CpuTimes(Busy: 1250, Steal: 100, Total: 6380), start);
        Assert.Equal(61.0, busy, precision: 1); // (500 + 100 + 10) of 1000 ticks: user, system, softirq; 290 idle
        Assert.Equal(10.0, steal, precision: 1); // 100 of 1000 ticks: the host ran something else
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("cpu0 1 2 3 4 5 6 7 8")]
    [InlineData("cpu  1 2 3")]
    [InlineData("cpu  1 2 3 4 5 6 x 8")]
    public void A_line_that_is_not_the_machines_total_reads_as_nothing_and_the_run_reports_zero(string? line)
    {
        Assert.Null(CpuTimes.Parse(line));
        Assert.Equal((0, 0), CpuTimes.Between(CpuTimes.Parse(line), CpuTimes.Parse("cpu  1 2 3 4 5 6 7 8")));
    }

    [Fact]
    public void This_machine_reports_its_cpu_times_and_they_only_grow() // the benchmark's machines run Linux
    {
        var first = CpuTimes.Read();
        Assert.NotNull(first);
        Thread.Sleep(50);
        var (busy, steal) = CpuTimes.Between(first, CpuTimes.Read());
        Assert.InRange(busy, 0, 100);
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
}
