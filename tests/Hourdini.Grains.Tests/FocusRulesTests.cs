using Hourdini.Grains.Common;
using Hourdini.Grains.Projects;
using Hourdini.Grains.Sessions;
using Hourdini.Grains.Users;

namespace Hourdini.Grains.Tests;

public class FocusRulesTests
{
    private static readonly Guid S1 = Guid.NewGuid();
    private static readonly Guid S2 = Guid.NewGuid();
    private static readonly RunningTimer Timer = new(Guid.NewGuid(), Guid.NewGuid(), "t", [], DateTimeOffset.UnixEpoch, 10m, "EUR");

    [Fact]
    public void Starting_the_timer_while_a_session_is_active_is_refused() // R3
    {
        var refusal = Assert.Throws<Refusal>(() => FocusRules.EnsureTimerMayStart(new UserState { FocusedSessionId = S1 }, replace: true));

        Assert.Equal(("session_active", RefusalKind.Conflict), (refusal.Code, refusal.Kind));
    }

    [Fact]
    public void Starting_a_timer_while_one_runs_is_refused_unless_replacing() // R3
    {
        var running = new UserState { Timer = Timer };

        Assert.Equal("timer_running", Assert.Throws<Refusal>(() => FocusRules.EnsureTimerMayStart(running, replace: false)).Code);
        FocusRules.EnsureTimerMayStart(running, replace: true);
        FocusRules.EnsureTimerMayStart(new UserState(), replace: false);
    }

    [Fact]
    public void Focusing_a_session_demotes_the_previously_focused_one() // R3
    {
        var user = new UserState { FocusedSessionId = S1 };

        Assert.Equal(S1, FocusRules.SessionToDemote(user, S2));
        Assert.Null(FocusRules.SessionToDemote(user, S1));
        Assert.Null(FocusRules.SessionToDemote(new UserState(), S2));
    }

    [Fact]
    public void Focusing_a_session_takes_focus_from_the_timer() // R3
    {
        var focused = FocusRules.Focus(new UserState { Timer = Timer }, S1);

        Assert.Equal(S1, focused.FocusedSessionId);
        Assert.Null(focused.Timer);
    }

    [Theory]
    [InlineData(BeatKind.Idle)]
    [InlineData(BeatKind.Agent)]
    public void The_demoted_session_drops_to_idle_or_agent(BeatKind previous) => // R3
        Assert.Equal(previous, FocusRules.EnsureDemotion(previous));

    [Fact]
    public void The_demoted_session_never_stays_active() => // R3
        Assert.Equal(RefusalKind.Invalid, Assert.Throws<Refusal>(() => FocusRules.EnsureDemotion(BeatKind.Active)).Kind);

    [Fact]
    public void Leaving_the_active_beat_releases_focus_only_for_the_focused_session()
    {
        var user = new UserState { FocusedSessionId = S1 };

        Assert.Null(FocusRules.AfterLeaving(user, S1).FocusedSessionId);
        Assert.Equal(S1, FocusRules.AfterLeaving(user, S2).FocusedSessionId);
    }

    [Theory]
    [InlineData(90.0, 120.0, 90.0)] // R19: the project's rate when set
    [InlineData(null, 120.0, 120.0)] // R19: else the client's default
    public void The_effective_rate_is_the_projects_else_the_clients(double? project, double client, double expected) =>
        Assert.Equal((decimal)expected, ProjectTerms.EffectiveRate((decimal?)project, (decimal)client));

    [Fact]
    public void An_agent_may_set_only_the_agent_and_idle_beats_and_a_person_any() // R21
    {
        var agent = Guid.NewGuid();

        var refusal = Assert.Throws<Refusal>(() => BeatKind.Active.EnsurePersonDrives(agent));
        Assert.Equal(("agent_not_allowed", RefusalKind.Forbidden), (refusal.Code, refusal.Kind));
        Assert.Equal(BeatKind.Agent, BeatKind.Agent.EnsurePersonDrives(agent));
        Assert.Equal(BeatKind.Idle, BeatKind.Idle.EnsurePersonDrives(agent));
        Assert.Equal(BeatKind.Active, BeatKind.Active.EnsurePersonDrives(agentId: null));
    }
}
