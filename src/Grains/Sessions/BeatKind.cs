using Hourdini.Grains.Common;

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

    /// <summary>
    /// R21: the active beat means a person is driving. An agent (<paramref name="agentId"/> set) may set only agent and
    /// idle: its active beat would stop its person's timer, take their focus and bill agent-run time as hands-on.
    /// </summary>
    public static BeatKind EnsurePersonDrives(this BeatKind kind, Guid? agentId) =>
        kind == BeatKind.Active && agentId is not null
            ? throw Refusal.Forbidden("An agent may set only the agent and idle beats; active means a person is driving.", "agent_not_allowed")
            : kind;
}
