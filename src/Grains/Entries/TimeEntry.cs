namespace Hourdini.Grains.Entries;

public static class EntrySource
{
    public const string Timer = "timer";
    public const string Session = "session";
    public const string Manual = "manual";
    public const string Import = "import";

    public static bool IsKnown(string source) => source is Timer or Session or Manual or Import;
}

/// <summary>
/// R25: what an entry's time was. For a session's entry, the session's totals; <see cref="AgentSeconds"/> is all its
/// agent time, billed or not, and <see cref="AgentBilled"/> the Bill agent time snapshot (R5). Billed seconds are
/// rounded down once over active and agent time together (R10), so a billed split's agent seconds take the remainder
/// and active + agent is exactly the billed duration.
/// </summary>
[GenerateSerializer, Immutable, Alias("hd.EntrySplit")]
public sealed record EntrySplit(
    [property: Id(0)] long ActiveSeconds,
    [property: Id(1)] long AgentSeconds,
    [property: Id(2)] long IdleSeconds,
    [property: Id(3)] bool AgentBilled)
{
    /// <summary>A timer, manual or imported entry: all of it hands-on.</summary>
    public static EntrySplit HandsOn(long durationSeconds) => new(durationSeconds, 0, 0, false);
}

/// <summary>
/// A billed piece of work. Rate and currency are the ones locked in when the work started. <see cref="Split"/> is set for
/// a session's entry only: any other entry is all hands-on, whatever its duration becomes. <see cref="InvoiceId"/> is the
/// issued invoice that locks it (R31).
/// </summary>
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
    DateTimeOffset CreatedAt,
    EntrySplit? Split = null,
    decimal? AgentRate = null,
    long? OriginalDurationSeconds = null,
    DateTimeOffset? CorrectedAt = null,
    Guid? InvoiceId = null)
{
    /// <summary>R25: the split, a hands-on one unless the entry is a session's.</summary>
    public EntrySplit SplitOrHandsOn => Split ?? EntrySplit.HandsOn(DurationSeconds);

    /// <summary>R26: what the entry is worth (<see cref="EntryMoney.Amount"/>).</summary>
    public decimal Amount => EntryMoney.Amount(this);
}

/// <summary>
/// R26: an entry's amount. Hands-on seconds at the rate and billed agent seconds at the agent rate (or the rate), in
/// cents rounded half to even; nothing for a non-billable entry. A duration corrected away from the split (R27) scales
/// what was billed. The database computes the same in <c>hd_entry_amount</c> (migration 0011) for reports.
/// </summary>
public static class EntryMoney
{
    public static decimal Amount(TimeEntry entry)
    {
        if (!entry.Billable)
        {
            return 0m;
        }

        var split = entry.SplitOrHandsOn;
        var billedAgent = split.AgentBilled ? split.AgentSeconds : 0;
        var billed = split.ActiveSeconds + billedAgent;
        var units = (split.ActiveSeconds * entry.Rate) + (billedAgent * (entry.AgentRate ?? entry.Rate));
        var value = billed == entry.DurationSeconds ? units / 3600m
            : billed == 0 ? entry.DurationSeconds * entry.Rate / 3600m
            : units * entry.DurationSeconds / billed / 3600m;
        return Math.Round(value, 2, MidpointRounding.ToEven);
    }
}

/// <summary>
/// Where grains record the entries they produce. A recorded entry commits in the same transaction as the next
/// state write of the grain that produced it: there is never a stopped timer or ended session without its entry.
/// </summary>
public interface ITimeEntryLedger
{
    void Record(TimeEntry entry);
}
