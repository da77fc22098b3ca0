namespace Hourdini.Grains.Users;

/// <summary>
/// The points between the separate writes of one user turn (README, "Consistency across grains"). Every committed
/// moment between them must be safe; tests register an <see cref="ITurnSteps"/> that fails the turn at one of them, as a
/// crash there would, and check the database and a fresh activation.
/// </summary>
public static class TurnStep
{
    /// <summary>The running timer was saved as an entry; the session taking focus has not changed yet.</summary>
    public const string TimerStopped = "timer_stopped";

    /// <summary>The formerly focused session went to idle or agent; the new focus is not active yet.</summary>
    public const string FocusDemoted = "focus_demoted";

    /// <summary>The new focus is active in its session's row; the user grain has not taken note of it yet.</summary>
    public const string FocusPromoted = "focus_promoted";
}

/// <summary>Told when a user turn reaches a <see cref="TurnStep"/>; in production nobody listens.</summary>
public interface ITurnSteps
{
    void Reached(string step);
}

public sealed class NoTurnSteps : ITurnSteps
{
    public void Reached(string step)
    {
    }
}
