namespace Hourdini.Grains.Sessions;

/// <summary>Who is driving a session at a moment.</summary>
[GenerateSerializer, Alias("hd.BeatKind")]
public enum BeatKind
{
    /// <summary>The human is driving; always billable.</summary>
    Active,

    /// <summary>An agent runs on its own; billable only if the session's snapshot says so (R5).</summary>
    Agent,

    /// <summary>Nobody is; never billable.</summary>
    Idle,
}

public static class BeatKinds
{
    public static string ToWire(this BeatKind kind) => kind switch
    {
        BeatKind.Active => "active",
        BeatKind.Agent => "agent",
        _ => "idle",
    };

    public static bool TryParse(string? text, out BeatKind kind)
    {
        switch (text)
        {
            case "active": kind = BeatKind.Active; return true;
            case "agent": kind = BeatKind.Agent; return true;
            case "idle": kind = BeatKind.Idle; return true;
            default: kind = default; return false;
        }
    }
}
