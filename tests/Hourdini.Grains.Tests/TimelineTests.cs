using Hourdini.Grains.Sessions;

namespace Hourdini.Grains.Tests;

public class TimelineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(double seconds) => T0.AddMilliseconds(seconds * 1000);

    [Fact]
    public void A_new_timeline_has_one_open_beat_of_the_first_kind() // R2
    {
        var beats = Timeline.Start(BeatKind.Agent, T0);

        var beat = Assert.Single(beats);
        Assert.Equal(new Beat(BeatKind.Agent, T0, null), beat);
    }

    [Fact]
    public void Switching_closes_the_open_beat_where_the_next_one_starts() // R1
    {
        var beats = Timeline.Start(BeatKind.Active, T0);
        beats = Timeline.Switch(beats, BeatKind.Agent, At(10));
        beats = Timeline.Switch(beats, BeatKind.Idle, At(25));

        Assert.Equal(
            [new Beat(BeatKind.Active, T0, At(10)), new Beat(BeatKind.Agent, At(10), At(25)), new Beat(BeatKind.Idle, At(25), null)],
            beats);
        Assert.True(Timeline.Tiles(beats, T0, null));
    }

    [Fact]
    public void Since_a_moment_drops_earlier_beats_and_cuts_the_one_running_across_it() // Today's share of a session
    {
        var beats = Timeline.Start(BeatKind.Active, T0);
        beats = Timeline.Switch(beats, BeatKind.Agent, At(10));
        beats = Timeline.Switch(beats, BeatKind.Active, At(25));

        var since = Timeline.Since(beats, At(15)).ToList();

        Assert.Equal([new Beat(BeatKind.Agent, At(15), At(25)), new Beat(BeatKind.Active, At(25), null)], since);
        Assert.Equal(new BeatTotals(35_000, 10_000, 0), Timeline.Totals(since, At(60)));
    }

    [Fact]
    public void Switching_to_the_running_kind_changes_nothing()
    {
        var beats = Timeline.Start(BeatKind.Active, T0);

        Assert.Same(beats, Timeline.Switch(beats, BeatKind.Active, At(5)));
    }

    [Fact]
    public void A_clock_that_steps_back_never_makes_a_beat_run_backwards() // R1
    {
        var beats = Timeline.Switch(Timeline.Start(BeatKind.Active, At(10)), BeatKind.Idle, At(3));

        Assert.Equal(At(10), beats[0].EndedAt);
        Assert.Equal(At(10), beats[1].StartedAt);
        Assert.True(Timeline.Tiles(beats, At(10), null));
    }

    [Fact]
    public void Closing_ends_the_last_beat_at_the_stop_time() // R6
    {
        var beats = Timeline.Close(Timeline.Switch(Timeline.Start(BeatKind.Active, T0), BeatKind.Agent, At(4)), At(9));

        Assert.All(beats, beat => Assert.False(beat.IsOpen));
        Assert.True(Timeline.Tiles(beats, T0, At(9)));
        Assert.Throws<InvalidOperationException>(() => Timeline.Switch(beats, BeatKind.Idle, At(10)));
    }

    [Fact]
    public void Tiling_is_refused_for_gaps_overlaps_and_a_wrong_start() // R1
    {
        Assert.False(Timeline.Tiles([new Beat(BeatKind.Active, T0, At(1)), new Beat(BeatKind.Idle, At(2), null)], T0, null));
        Assert.False(Timeline.Tiles([new Beat(BeatKind.Active, T0, At(3)), new Beat(BeatKind.Idle, At(2), null)], T0, null));
        Assert.False(Timeline.Tiles([new Beat(BeatKind.Active, At(1), null)], T0, null));
        Assert.False(Timeline.Tiles([new Beat(BeatKind.Active, T0, null), new Beat(BeatKind.Idle, T0, null)], T0, null));
        Assert.False(Timeline.Tiles([new Beat(BeatKind.Active, T0, At(1))], T0, At(2)));
    }

    [Fact]
    public void Totals_sum_milliseconds_exactly_and_round_down_once() // R10
    {
        // Three active beats of 999 ms: 2,997 ms is 2 s. Rounding each beat first would give 0 s.
        var beats = Timeline.Start(BeatKind.Active, T0);
        beats = Timeline.Switch(beats, BeatKind.Idle, At(0.999));
        beats = Timeline.Switch(beats, BeatKind.Active, At(1.999));
        beats = Timeline.Switch(beats, BeatKind.Idle, At(2.998));
        beats = Timeline.Switch(beats, BeatKind.Active, At(3.998));
        beats = Timeline.Close(beats, At(4.997));

        var totals = Timeline.Totals(beats, At(100));

        Assert.Equal(2997, totals.ActiveMs);
        Assert.Equal(2, totals.ActiveSeconds);
        Assert.Equal(2, totals.IdleSeconds);
    }

    [Fact]
    public void An_open_beat_counts_up_to_now()
    {
        var totals = Timeline.Totals(Timeline.Start(BeatKind.Agent, T0), At(42.5));

        Assert.Equal(42_500, totals.AgentMs);
    }

    [Theory]
    [InlineData(false, 10)] // R6: active only
    [InlineData(true, 30)] // R6: active + agent when the snapshot bills agent time
    public void Billable_time_is_active_plus_agent_only_when_billed(bool billAgentTime, long expected)
    {
        var beats = Timeline.Start(BeatKind.Active, T0);
        beats = Timeline.Switch(beats, BeatKind.Agent, At(10));
        beats = Timeline.Switch(beats, BeatKind.Idle, At(30));
        beats = Timeline.Close(beats, At(100));

        Assert.Equal(expected, Timeline.Totals(beats, At(100)).BillableSeconds(billAgentTime));
    }

    [Fact]
    public void Idle_time_is_never_billable() // R6
    {
        var beats = Timeline.Close(Timeline.Start(BeatKind.Idle, T0), At(3600));

        Assert.Equal(0, Timeline.Totals(beats, At(3600)).BillableSeconds(billAgentTime: true));
    }
}
