using Hourdini.Grains.Common;
using Hourdini.Grains.Sessions;

namespace Hourdini.Grains.Users;

/// <summary>R3 as pure decisions: one active beat per user, across every session and the timer.</summary>
public static class FocusRules
{
    /// <summary>The timer may start only when no session holds focus, and replaces a running one only when asked.</summary>
    public static void EnsureTimerMayStart(UserState user, bool replace)
    {
        if (user.FocusedSessionId is not null)
        {
            throw Refusal.Conflict("session_active", "A session is active; pause or end it before starting the timer.");
        }

        if (user.Timer is not null && !replace)
        {
            throw Refusal.Conflict("timer_running", "A timer is already running; stop it or ask to replace it.");
        }
    }

    /// <summary>The session that loses focus when <paramref name="sessionId"/> takes it, if any.</summary>
    public static Guid? SessionToDemote(UserState user, Guid sessionId) =>
        user.FocusedSessionId is { } focused && focused != sessionId ? focused : null;

    /// <summary>The formerly focused session drops to idle or, when asked, to agent; never to active.</summary>
    public static BeatKind EnsureDemotion(BeatKind previous) =>
        previous == BeatKind.Active
            ? throw Refusal.Invalid("previous must be \"idle\" or \"agent\".")
            : previous;

    /// <summary>The user's focus once <paramref name="sessionId"/> has left the active beat or ended.</summary>
    public static UserState AfterLeaving(UserState user, Guid sessionId) =>
        user.FocusedSessionId == sessionId ? user with { FocusedSessionId = null } : user;

    public static UserState Focus(UserState user, Guid sessionId) =>
        user with { FocusedSessionId = sessionId, Timer = null };
}
