using System.Globalization;
using Hourdini.Gateway.Auth;
using Hourdini.Silo.Storage.Entries;
using Microsoft.AspNetCore.Mvc;

namespace Hourdini.Gateway.Web.Pages;

/// <summary>/entries: the user's entries by day, filtered by a date range (the last 7 days unless asked) and a project.</summary>
public sealed class EntriesModel(EntryStore entries) : AppPage
{
    private const int MaxRangeDays = 366;

    public DateOnly From { get; private set; }

    public DateOnly To { get; private set; }

    public Guid? ProjectId { get; private set; }

    public string? Error { get; private set; }

    public EntryDays Days { get; private set; } = null!;

    public async Task OnGetAsync([FromQuery] string? from, [FromQuery] string? to, [FromQuery(Name = "project_id")] string? projectId)
    {
        var today = DateOnly.FromDateTime(Shell.Local(Shell.Now).DateTime);
        To = ParseDate(to) ?? today;
        From = ParseDate(from) ?? To.AddDays(-6);
        ProjectId = Guid.TryParse(projectId, out var id) ? id : null;
        if ((from is { Length: > 0 } && ParseDate(from) is null) || (to is { Length: > 0 } && ParseDate(to) is null))
        {
            Error = "Dates are written as YYYY-MM-DD; showing the last 7 days.";
        }

        if (From > To || To.DayNumber - From.DayNumber > MaxRangeDays)
        {
            Error = $"The range must run forward and span at most {MaxRangeDays} days; showing the last 7 days.";
            (From, To) = (To.AddDays(-6), To);
        }

        var (list, next) = await entries.ListAsync(
            Caller.OrgId, Caller.UserId, Caller.ViewerScope(),
            new EntryFilter(Start(From), Start(To.AddDays(1)), ProjectId, null, null, 500),
            HttpContext.RequestAborted);
        Days = EntryDays.Of(Shell, list, next is not null);
    }

    private DateTimeOffset Start(DateOnly day)
    {
        var midnight = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(midnight, Shell.Zone.GetUtcOffset(midnight)).ToUniversalTime();
    }

    private static DateOnly? ParseDate(string? text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;
}
