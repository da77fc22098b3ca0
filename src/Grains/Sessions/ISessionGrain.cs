using Hourdini.Grains.Hosting;

namespace Hourdini.Grains.Sessions;

/// <summary>
/// One session: holds its beat timeline and writes its entry when it ends. Changes reach it only
/// through its user's grain, inside that user's turn (DESIGN.md, consistency).
/// </summary>
public interface ISessionGrain : IGrainWithStringKey
{
    Task<SessionState> StartAsync(SessionStart start);

    /// <summary>The session, or null when no session has this key.</summary>
    Task<SessionState?> GetAsync();

    /// <param name="byAgent">The session's own agent made the call: the same write renews its lease (R15).</param>
    Task<SessionState> SwitchBeatAsync(BeatKind kind, DateTimeOffset at, bool byAgent = false);

    Task<SessionEnded> EndAsync(DateTimeOffset at, string reason);

    /// <summary>R13, R14: a log line, optionally about a task.</summary>
    /// <param name="byAgent">The session's own agent made the call: the same write renews its lease (R15).</param>
    Task<SessionEvent> LogAsync(string message, Guid? taskId, DateTimeOffset at, bool byAgent = false);

    /// <summary>R13, R14, R16: a task named by this session changed status.</summary>
    Task<SessionEvent> RecordTaskStatusAsync(Guid taskId, string status, DateTimeOffset at);
}
