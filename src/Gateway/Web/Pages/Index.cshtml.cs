using Hourdini.Gateway.Auth;
using Hourdini.Silo.Storage.Entries;

namespace Hourdini.Gateway.Web.Pages;

/// <summary>Today at a glance: totals and today's entries.</summary>
public sealed class IndexModel(EntryStore entries) : AppPage
{
    public EntryDays Today { get; private set; } = null!;

    public async Task OnGetAsync()
    {
        var filter = new EntryFilter(Shell.StartOf(Shell.Today), Shell.StartOf(Shell.Today.AddDays(1)), null, null, null, 500);
        var (list, next) = await entries.ListAsync(Caller.OrgId, Caller.UserId, Caller.ViewerScope(), filter, HttpContext.RequestAborted);
        Today = EntryDays.Of(Shell, list, next is not null);
    }
}
