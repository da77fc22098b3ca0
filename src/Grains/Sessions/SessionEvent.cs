namespace Hourdini.Grains.Sessions;

public static class SessionEventTypes
{
    public const string Start = "session_start";
    public const string Beat = "beat";
    public const string Log = "log";
    public const string TaskStatus = "task_status";
    public const string Stop = "session_stop";
}

/// <summary>One entry of a session's timeline (R13); <see cref="Data"/> is a JSON object.</summary>
[GenerateSerializer, Immutable, Alias("hd.SessionEvent")]
public sealed record SessionEvent(int Seq, string Type, DateTimeOffset At, string Data);

/// <summary>Appends timeline events with the session's next state write; the timeline is append-only (R7).</summary>
public interface ISessionJournal
{
    void Append(Guid orgId, Guid sessionId, SessionEvent sessionEvent);
}
