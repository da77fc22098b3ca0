using Hourdini.Grains.Entries;

namespace Hourdini.Gateway.Web;

/// <summary>Entries grouped by the day they started on, in the viewer's time zone, newest first.</summary>
public sealed record EntryDays(Shell Shell, IReadOnlyList<IGrouping<DateOnly, TimeEntry>> Days, bool Truncated)
{
    public static EntryDays Of(Shell shell, IReadOnlyList<TimeEntry> entries, bool truncated) => new(
        shell,
        entries.OrderByDescending(e => e.StartedAt)
            .GroupBy(e => DateOnly.FromDateTime(shell.Local(e.StartedAt).DateTime))
            .ToList(),
        truncated);

    public long TotalSeconds => Days.Sum(d => d.Sum(e => e.DurationSeconds));

    public long BillableSeconds => Days.Sum(d => d.Where(e => e.Billable).Sum(e => e.DurationSeconds));

    /// <summary>Only manual, timer and imported entries change by hand (R7 keeps a session's entry).</summary>
    public static bool Editable(TimeEntry entry) => entry.Source != EntrySource.Session;
}
