using Hourdini.Silo.Storage.Entries;

namespace Hourdini.Gateway.Web.Pages;

/// <summary>Today at a glance: totals and today's entries.</summary>
public sealed class IndexModel(EntryStore entries) : AppPage
{
    public EntryDays Today { get; private set; } = null!;

    public async Task OnGetAsync() =>
        Today = await EntryDays.LoadAsync(Shell, entries, Shell.Today, Shell.Today, null, HttpContext.RequestAborted);
}
