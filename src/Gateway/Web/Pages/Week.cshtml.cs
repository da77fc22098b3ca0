using Hourdini.Silo.Storage.Entries;
using Microsoft.AspNetCore.Mvc;

namespace Hourdini.Gateway.Web.Pages;

/// <summary>/week: the week timesheet (issue 25), this week unless <c>?week=2026-W50</c> names another.</summary>
public sealed class WeekModel(EntryStore entries) : AppPage
{
    public WeekSheet Sheet { get; private set; } = null!;

    public string? Error { get; private set; }

    public async Task OnGetAsync([FromQuery] string? week)
    {
        var monday = WeekSheet.ParseWeek(week);
        if (week is { Length: > 0 } && monday is null)
        {
            Error = "A week is written as YYYY-Www, e.g. 2026-W50; showing this week.";
        }

        Sheet = await WeekSheet.LoadAsync(Shell, entries, monday ?? WeekSheet.MondayOf(Shell.Today), HttpContext.RequestAborted);
    }
}
