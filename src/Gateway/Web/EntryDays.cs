using Hourdini.Gateway.Auth;
using Hourdini.Grains.Entries;
using Hourdini.Silo.Storage.Entries;

namespace Hourdini.Gateway.Web;

/// <summary>Entries grouped by the day they started on, in the viewer's time zone, newest first.</summary>
public sealed record EntryDays(Shell Shell, IReadOnlyList<IGrouping<DateOnly, TimeEntry>> Days, bool Truncated)
{
    private const int MaxEntries = 500;

    /// <summary>The caller's entries (a viewer's: those of granted clients) from the start of <paramref name="from"/> to the end of <paramref name="to"/>.</summary>
    public static async Task<EntryDays> LoadAsync(Shell shell, EntryStore entries, DateOnly from, DateOnly to, Guid? projectId, CancellationToken ct)
    {
        var caller = shell.Caller;
        var filter = new EntryFilter(shell.StartOf(from), shell.StartOf(to.AddDays(1)), projectId, null, null, MaxEntries);
        var (list, next) = await entries.ListAsync(caller.OrgId, caller.UserId, caller.ViewerScope(), filter, ct);
        return Of(shell, list, next is not null);
    }

    private static EntryDays Of(Shell shell, IReadOnlyList<TimeEntry> entries, bool truncated) => new(
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
