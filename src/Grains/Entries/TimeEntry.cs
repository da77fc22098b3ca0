namespace Hourdini.Grains.Entries;

public static class EntrySource
{
    public const string Timer = "timer";
    public const string Session = "session";
    public const string Manual = "manual";
    public const string Import = "import";

    public static bool IsKnown(string source) => source is Timer or Session or Manual or Import;
}

/// <summary>A billed piece of work. Rate and currency are the ones locked in when the work started.</summary>
[GenerateSerializer, Immutable, Alias("hd.TimeEntry")]
public sealed record TimeEntry(
    Guid Id,
    Guid OrgId,
    Guid UserId,
    Guid ProjectId,
    Guid? AgentId,
    Guid? SessionId,
    string Source,
    string Description,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    long DurationSeconds,
    bool Billable,
    decimal Rate,
    string Currency,
    IReadOnlyList<string> Tags,
    DateTimeOffset CreatedAt);

/// <summary>
/// Where grains record the entries they produce. A recorded entry commits in the same transaction as the next
/// state write of the grain that produced it: there is never a stopped timer or ended session without its entry.
/// </summary>
public interface ITimeEntryLedger
{
    void Record(TimeEntry entry);
}
