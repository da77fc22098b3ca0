using Hourdini.Grains.Users;

namespace Hourdini.Testing;

/// <summary>
/// A test's <see cref="ITurnSteps"/>: the next user turn that reaches <see cref="At"/> fails there, as a crash between a
/// focus change's writes would (README, "Consistency across grains"); then it is disarmed.
/// </summary>
public sealed class CrashAt : ITurnSteps
{
    public string? At { get; set; }

    public void Reached(string step)
    {
        if (step == At)
        {
            At = null;
            throw new InvalidOperationException($"Simulated crash after {step}.");
        }
    }
}
