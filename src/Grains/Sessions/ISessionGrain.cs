namespace Hourdini.Grains.Sessions;

/// <summary>
/// One session (key: org/session): holds its beat timeline and writes its entry when it ends, each change one write of
/// its own. Focus changes reach it through its user's grain, which orders them so that every committed moment is safe
/// (README, "Consistency across grains"); logs, and switches between agent and idle while it is not active, come
/// straight from the gateway. It never calls its user's grain.
/// </summary>
[Alias("hd.ISessionGrain")]
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>Creates the session under this grain's key (a freshly minted id).</summary>
    [Alias("Start")]
    Task<SessionOpened> StartAsync(SessionStart start);

    /// <summary>The session, or null when no session has this key.</summary>
    [Alias("Get")]
    Task<SessionState?> GetAsync();

    /// <summary>Switches the open beat; when the caller is the session's agent, the same write renews its lease (R15).</summary>
    [Alias("SwitchBeat")]
    Task<SessionState> SwitchBeatAsync(SessionCaller caller, BeatKind kind, DateTimeOffset at);

    /// <summary>
    /// Switches to <paramref name="kind"/> (agent or idle) when the session is not in an active beat now, so the switch
    /// cannot change its user's focus (R3): the caller need not go through the user's grain. Null when the session is
    /// active: then the switch moves the user's focus and belongs to the user's grain (<c>IUserGrain.BeatAsync</c>).
    /// </summary>
    [Alias("SwitchUnfocused")]
    Task<SessionState?> SwitchUnfocusedBeatAsync(SessionCaller caller, BeatKind kind);

    /// <summary>
    /// R3: the session loses its user's focus: from an active beat to <paramref name="to"/> (idle or agent). A session that
    /// is not active (any more) is left as it is: only the user's grain calls this, and its memory of the focus may be
    /// older than a write that committed late.
    /// </summary>
    [Alias("Demote")]
    Task<SessionState> DemoteAsync(SessionCaller caller, BeatKind to, DateTimeOffset at);

    /// <summary>R6: closes the timeline and writes the entry in the same write.</summary>
    [Alias("End")]
    Task<SessionEnded> EndAsync(SessionCaller caller, DateTimeOffset at);

    /// <summary>
    /// R15: stops the agent session at its last-heard time if its lease has run out; null when the session is gone,
    /// already stopped, or was heard from again in the meantime.
    /// </summary>
    [Alias("AutoStop")]
    Task<SessionEnded?> AutoStopAsync(int leaseSeconds);

    /// <summary>R13, R14: a log line, optionally about a task of the org. The agent's call renews its lease (R15).</summary>
    [Alias("Log")]
    Task<SessionEvent> LogAsync(SessionCaller caller, string message, Guid? taskId);

    /// <summary>
    /// R13, R14, R16: a task changed status while this session was being worked in: the task's row and the timeline
    /// event commit together, in this session's write.
    /// </summary>
    [Alias("RecordTaskChange")]
    Task<SessionEvent> RecordTaskChangeAsync(Agents.AgentTask task, bool reassigned, DateTimeOffset at);
}
