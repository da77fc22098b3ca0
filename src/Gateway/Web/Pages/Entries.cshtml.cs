using System.Globalization;
using Hourdini.Silo.Storage.Entries;
using Microsoft.AspNetCore.Mvc;

namespace Hourdini.Gateway.Web.Pages;

/// <summary>/entries: the user's entries by day, filtered by a date range (the last 7 days unless asked) and a project.</summary>
public sealed class EntriesModel(EntryStore entries) : AppPage
{
    private const int MaxRangeDays = 366;

    private static readonly DateOnly Earliest = new(2000, 1, 1);

    private static readonly DateOnly Latest = new(2100, 12, 31);

    public DateOnly From { get; private set; }

    public DateOnly To { get; private set; }

    public Guid? ProjectId { get; private set; }

    public string? Error { get; private set; }

    public EntryDays Days { get; private set; } = null!;

    public async Task OnGetAsync([FromQuery] string? from, [FromQuery] string? to, [FromQuery(Name = "project_id")] string? projectId)
    {
        var today = Shell.Today;
        To = ParseDate(to) ?? today;
        From = ParseDate(from) ?? To.AddDays(-6);
        ProjectId = Guid.TryParse(projectId, out var id) ? id : null;
        if ((from is { Length: > 0 } && ParseDate(from) is null) || (to is { Length: > 0 } && ParseDate(to) is null))
        {
            Error = "Dates are written as YYYY-MM-DD; showing the last 7 days.";
        }

        if (From > To || To.DayNumber - From.DayNumber > MaxRangeDays || From < Earliest || To > Latest)
        {
            Error = $"The range must run forward, span at most {MaxRangeDays} days and lie between {Earliest:yyyy} and {Latest:yyyy}; showing the last 7 days.";
            (From, To) = (today.AddDays(-6), today);
        }

        Days = await EntryDays.LoadAsync(Shell, entries, From, To, ProjectId, HttpContext.RequestAborted);
    }

    private static DateOnly? ParseDate(string? text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;
}
