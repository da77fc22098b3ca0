using System.Globalization;
using Hourdini.Gateway.Auth;
using Hourdini.Silo.Storage.Entries;

namespace Hourdini.Gateway.Web;

/// <summary>
/// The week timesheet (issue 25): one row per project, one column per day of an ISO week (Monday first, R28) in the
/// viewer's time zone, each cell the billed seconds of the entries that started that day; totals by row and column. An
/// entry counts on the day it started, as on /entries.
/// </summary>
public sealed record WeekSheet(Shell Shell, DateOnly Monday, IReadOnlyList<WeekSheet.Row> Rows, bool Truncated)
{
    private const int MaxEntries = 5000;

    /// <summary>One project's week: seconds per day, Monday first.</summary>
    public sealed record Row(Guid ProjectId, long[] Seconds)
    {
        public long Total => Seconds.Sum();
    }

    public IEnumerable<DateOnly> Days => Enumerable.Range(0, 7).Select(Monday.AddDays);

    public long DayTotal(int day) => Rows.Sum(r => r.Seconds[day]);

    public long Total => Rows.Sum(r => r.Total);

    public string Name => NameOf(Monday);

    /// <summary>The ISO week's name, e.g. 2026-W50.</summary>
    public static string NameOf(DateOnly day) => string.Create(
        CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(day.ToDateTime(TimeOnly.MinValue))}-W{ISOWeek.GetWeekOfYear(day.ToDateTime(TimeOnly.MinValue)):00}");

    public static DateOnly MondayOf(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));

    /// <summary>The week named <c>2026-W50</c>, or null when the text names none.</summary>
    public static DateOnly? ParseWeek(string? text)
    {
        if (text is not { Length: 8 } || text[4] != '-' || text[5] != 'W'
            || !int.TryParse(text.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year)
            || !int.TryParse(text.AsSpan(6, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var week)
            || year is < 2000 or > 2100 || week < 1 || week > ISOWeek.GetWeeksInYear(year))
        {
            return null;
        }

        return DateOnly.FromDateTime(ISOWeek.ToDateTime(year, week, DayOfWeek.Monday));
    }

    public static async Task<WeekSheet> LoadAsync(Shell shell, EntryStore entries, DateOnly monday, CancellationToken ct)
    {
        var caller = shell.Caller;
        var filter = new EntryFilter(shell.StartOf(monday), shell.StartOf(monday.AddDays(7)), null, null, null, MaxEntries);
        var (list, next) = await entries.ListAsync(caller.OrgId, caller.UserId, caller.ViewerScope(), filter, ct);
        var rows = new Dictionary<Guid, long[]>();
        foreach (var entry in list)
        {
            var day = DateOnly.FromDateTime(shell.Local(entry.StartedAt).DateTime).DayNumber - monday.DayNumber;
            if (day is >= 0 and < 7)
            {
                (rows.TryGetValue(entry.ProjectId, out var seconds) ? seconds : rows[entry.ProjectId] = new long[7])[day] += entry.DurationSeconds;
            }
        }

        return new WeekSheet(
            shell,
            monday,
            rows.Select(r => new Row(r.Key, r.Value)).OrderBy(r => shell.ProjectName(r.ProjectId), StringComparer.CurrentCultureIgnoreCase).ToList(),
            next is not null);
    }
}
