namespace Hourdini.Gateway.Web.Pages;

/// <summary>/import: R30's upload with a dry-run preview before anything is written, and R29's export of a period.</summary>
public sealed class ImportModel : AppPage
{
    /// <summary>The export's default period: the month so far (the previous one in its first days).</summary>
    public DateOnly From { get; private set; }

    public DateOnly To { get; private set; }

    public void OnGet()
    {
        var today = Shell.Today;
        var month = today.Day <= 5 ? today.AddMonths(-1) : today;
        From = new DateOnly(month.Year, month.Month, 1);
        To = today.Day <= 5 ? From.AddMonths(1).AddDays(-1) : today;
    }
}
