using Hourdini.Grains.Common;
using Hourdini.Silo.Activation;

namespace Hourdini.Silo.Tests;

/// <summary>The activation layer's promises (DESIGN.md, "Why there is no Orleans runtime package").</summary>
public class ActivationTests
{
    private readonly TestSilo _silo = new();

    [Fact]
    public async Task A_grain_is_activated_on_its_first_call()
    {
        var counter = _silo.Counter("a");
        Assert.Equal(0, _silo.Runtime.ActivationCount);

        await counter.IncrementAsync();

        Assert.Equal(1, _silo.Runtime.ActivationCount);
        Assert.Equal(1, _silo.Probe.Activations["a"]);
    }

    [Fact]
    public async Task Concurrent_first_calls_share_one_activation()
    {
        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => _silo.Counter("shared").IncrementAsync())));

        Assert.Equal(1, _silo.Probe.Activations["shared"]);
        Assert.Equal(200, await _silo.Counter("shared").GetAsync());
    }

    [Fact]
    public async Task Thousands_of_concurrent_calls_to_one_grain_never_interleave()
    {
        var grain = _silo.Counter("busy");
        await Task.WhenAll(Enumerable.Range(0, 5000).Select(n => Task.Run(() => grain.EnterAsync(n))));

        Assert.Equal(1, _silo.Probe.MaxInFlight);
        Assert.Equal(5000, _silo.Probe.Order.Count);
    }

    [Fact]
    public async Task Calls_run_in_the_order_they_arrive()
    {
        var grain = _silo.Counter("fifo");
        var calls = Enumerable.Range(0, 1000).Select(grain.EnterAsync).ToList(); // queued in order, not awaited
        await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 1000), _silo.Probe.Order);
    }

    [Fact]
    public async Task Idle_activations_are_collected_and_come_back_with_their_state()
    {
        await _silo.Counter("idle").IncrementAsync();
        _silo.Clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(0, _silo.Runtime.CollectIdle());

        _silo.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, _silo.Runtime.CollectIdle());
        Assert.Equal(0, _silo.Runtime.ActivationCount);

        Assert.Equal(2, await _silo.Counter("idle").IncrementAsync());
        Assert.Equal(2, _silo.Probe.Activations["idle"]);
    }

    [Fact]
    public async Task A_grain_that_asks_to_go_is_deactivated_once_idle_and_comes_back_with_its_state() // issue 6: ended sessions hold no memory
    {
        var grain = _silo.Counter("going");

        Assert.Equal(1, await grain.IncrementThenGoAsync());
        Assert.Equal(0, _silo.Runtime.ActivationCount);

        Assert.Equal(2, await grain.IncrementAsync());
        Assert.Equal(2, _silo.Probe.Activations["going"]);
        Assert.Equal(1, _silo.Runtime.ActivationCount);
    }

    [Fact]
    public async Task A_grain_that_asks_to_go_inside_another_grains_turn_stays_until_that_turn_commits() // issue 6; R7 read back after an end
    {
        GatedBackend gated = null!;
        var silo = new TestSilo(wrap: backend => gated = new GatedBackend(backend));

        var turn = silo.Runtime.GetGrain<IParentGrain>("parent").IncrementChildThenLetItGoAsync("child");
        await WaitUntilAsync(() => gated.Commits == 1);

        // The child is idle, but its write is still on its way: an activation read from storage now would not see it.
        Assert.Equal(1, await silo.Counter("child").GetAsync());
        Assert.Equal(1, silo.Probe.Activations["child"]);
        Assert.Equal(2, silo.Runtime.ActivationCount);

        gated.Gate.SetResult();
        Assert.Equal(1, await turn);
        await WaitUntilAsync(() => silo.Runtime.ActivationCount == 1);
        Assert.Equal(1, await silo.Counter("child").GetAsync());
        Assert.Equal(2, silo.Probe.Activations["child"]);
    }

    [Fact]
    public async Task A_stale_activation_is_dropped_and_the_call_retried_once_on_a_fresh_one()
    {
        var grain = _silo.Counter("stale");
        await grain.IncrementAsync();

        // Another node writes: the stored version moves on behind this activation.
        _silo.Storage.WriteBehindTheActivation("stale", new CounterState { Value = 10 });

        Assert.Equal(11, await grain.IncrementAsync());
        Assert.Equal(2, _silo.Probe.Activations["stale"]);
        Assert.Equal(11, (await _silo.Storage.ReadAsync("stale", default)).State!.Value);
    }

    [Fact]
    public async Task A_turn_that_fails_after_writing_commits_nothing_and_drops_the_activation()
    {
        var grain = _silo.Counter("failing");
        await grain.IncrementAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(grain.IncrementThenFailAsync);

        Assert.Equal(1, (await _silo.Storage.ReadAsync("failing", default)).State!.Value);
        Assert.Equal(1, await grain.GetAsync());
        Assert.Equal(2, _silo.Probe.Activations["failing"]);
    }

    [Fact]
    public async Task A_refusal_before_any_write_keeps_the_activation()
    {
        var grain = _silo.Counter("refusing");
        await grain.IncrementAsync();

        await Assert.ThrowsAsync<Refusal>(grain.RefuseAsync);

        Assert.Equal(1, await grain.GetAsync());
        Assert.Equal(1, _silo.Probe.Activations["refusing"]);
    }

    [Fact]
    public async Task A_grain_called_from_another_grains_turn_commits_with_that_turn()
    {
        var parent = _silo.Runtime.GetGrain<IParentGrain>("parent");

        Assert.Equal(1, await parent.IncrementChildAsync("child"));
        Assert.Equal(1, (await _silo.Storage.ReadAsync("child", default)).State!.Value);
        Assert.Equal(1, (await _silo.Storage.ReadAsync("parent", default)).State!.Value);

        // The parent's turn fails after the child wrote: neither write commits, and the child's
        // activation, whose memory ran ahead of storage, is dropped.
        await Assert.ThrowsAsync<InvalidOperationException>(() => parent.IncrementChildThenFailAsync("child"));
        Assert.Equal(1, (await _silo.Storage.ReadAsync("child", default)).State!.Value);
        Assert.Equal(1, await _silo.Counter("child").GetAsync());
        Assert.Equal(2, _silo.Probe.Activations["child"]);
    }

    [Fact]
    public async Task A_conflict_that_persists_after_the_one_retry_reaches_the_caller()
    {
        var silo = new TestSilo(everyReadGoesStale: true);

        await Assert.ThrowsAsync<InconsistentStateException>(() => silo.Counter("contended").IncrementAsync());

        Assert.Equal(2, silo.Probe.Activations["contended"]);
    }

    [Fact]
    public async Task Later_turns_run_while_a_commit_is_in_flight_and_answer_after_it_in_order() // issue 6: pipelining
    {
        GatedBackend gated = null!;
        var silo = new TestSilo(wrap: backend => gated = new GatedBackend(backend));
        var grain = silo.Counter("pipelined");

        var first = grain.IncrementAsync();
        await WaitUntilAsync(() => gated.Commits == 1);
        var second = grain.IncrementAsync();
        var third = grain.IncrementAsync();
        await Task.Delay(200);

        // Nothing is answered before its commit, and everything it saw, is in storage.
        Assert.False(first.IsCompleted || second.IsCompleted || third.IsCompleted);
        Assert.Null((await silo.Storage.ReadAsync("pipelined", default)).State);

        gated.Gate.SetResult();
        int[] answers = [await first, await second, await third];
        Assert.Equal([1, 2, 3], answers);
        Assert.Equal(2, gated.Commits); // the two turns that ran meanwhile committed together
        Assert.Equal(3, (await silo.Storage.ReadAsync("pipelined", default)).State!.Value);
    }

    [Fact]
    public async Task When_a_commit_fails_the_turns_built_on_it_run_again_on_fresh_state()
    {
        GatedBackend gated = null!;
        var silo = new TestSilo(wrap: backend => gated = new GatedBackend(backend, failFirst: true));
        var grain = silo.Counter("lost");

        var first = grain.IncrementAsync();
        await WaitUntilAsync(() => gated.Commits == 1);
        var second = grain.IncrementAsync();
        await Task.Delay(200);
        gated.Gate.SetResult();

        Assert.Equal([1, 2], new[] { await first, await second }.Order());
        Assert.Equal(2, (await silo.Storage.ReadAsync("lost", default)).State!.Value);
        Assert.True(silo.Probe.Activations["lost"] >= 2);
    }

    [Fact]
    public async Task When_a_commit_fails_the_grains_changed_by_the_turns_built_on_it_are_dropped_too() // issue 7: lost beat
    {
        GatedBackend gated = null!;
        var silo = new TestSilo(wrap: backend => gated = new GatedBackend(backend, failFirst: true));
        var parent = silo.Runtime.GetGrain<IParentGrain>("parent");

        var first = parent.IncrementChildAsync("first-child");
        await WaitUntilAsync(() => gated.Commits == 1);
        // Runs while the first commit is in flight: it changes its child in memory, then waits behind that commit.
        var second = parent.RaiseChildAsync("second-child", 5);
        await Task.Delay(200);
        gated.Gate.SetResult();

        // The first commit fails, so the second turn runs again. Its child must come back from storage, not from the
        // memory the failed attempt left behind: there the raise is already done, so the rerun would write nothing
        // and answer 5 for a value that was never stored.
        Assert.Equal(1, await first);
        Assert.Equal(5, await second);
        Assert.Equal(5, (await silo.Storage.ReadAsync("second-child", default)).State?.Value);
        Assert.Equal(2, (await silo.Storage.ReadAsync("parent", default)).State!.Value);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }

    [Fact]
    public async Task A_turn_checks_the_version_of_a_state_it_read_without_writing_and_of_no_other()
    {
        // Issue 7: a decision on a state is checked against the stored version when the turn commits. Issue 6: a turn
        // that never looked at a state decided nothing on it, so it costs no check (and no row lock).
        var grain = _silo.Counter("checked");
        await grain.IncrementAsync();
        Assert.Equal(0, _silo.Recorder.Checks.GetValueOrDefault("checked"));

        await grain.GetAsync();
        Assert.Equal(1, _silo.Recorder.Checks.GetValueOrDefault("checked"));

        await grain.RaiseToAsync(0); // a no-op on what it read
        Assert.Equal(2, _silo.Recorder.Checks.GetValueOrDefault("checked"));

        await grain.NameAsync();
        Assert.Equal(2, _silo.Recorder.Checks.GetValueOrDefault("checked"));
    }

    [Fact]
    public async Task A_state_a_called_grain_read_is_checked_when_the_whole_turn_ends_and_not_when_a_later_call_of_the_turn_wrote_it()
    {
        // Like a log: the user's turn first looks at the session, then logs to it. The log's write carries its own
        // version condition, so a separate check of the same row would be a second statement and row lock for nothing.
        var parent = _silo.Runtime.GetGrain<IParentGrain>("looker");
        await _silo.Counter("looked-at").IncrementAsync();
        await _silo.Counter("looked-at-then-written").IncrementAsync();

        Assert.Equal(1, await parent.LookAtChildAsync("looked-at", thenIncrement: false));
        Assert.Equal(1, _silo.Recorder.Checks.GetValueOrDefault("looked-at"));

        Assert.Equal(2, await parent.LookAtChildAsync("looked-at-then-written", thenIncrement: true));
        Assert.Equal(0, _silo.Recorder.Checks.GetValueOrDefault("looked-at-then-written"));
        Assert.Equal(2, (await _silo.Storage.ReadAsync("looked-at-then-written", default)).State!.Value);
    }

    [Fact]
    public async Task A_grain_with_a_just_minted_key_starts_empty_without_a_read()
    {
        Assert.Equal(1, await _silo.Runtime.GetNewGrain<ICounterGrain>("minted").IncrementAsync());

        Assert.Equal(0, _silo.Recorder.Reads.GetValueOrDefault("minted"));
        Assert.Equal(1, (await _silo.Storage.ReadAsync("minted", default)).State!.Value);
    }

    [Fact]
    public async Task If_a_minted_key_was_stored_after_all_its_first_write_fails_and_the_call_is_retried_on_what_is_stored()
    {
        _silo.Storage.WriteBehindTheActivation("taken", new CounterState { Value = 10 });

        Assert.Equal(11, await _silo.Runtime.GetNewGrain<ICounterGrain>("taken").IncrementAsync());
        Assert.Equal(1, _silo.Recorder.Reads.GetValueOrDefault("taken"));
        Assert.Equal(11, (await _silo.Storage.ReadAsync("taken", default)).State!.Value);
    }
}
