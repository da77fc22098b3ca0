using Hourdini.Gateway.Auth;
using Hourdini.Silo.Storage.Entries;

namespace Hourdini.Gateway.Web.Pages;

/// <summary>Today at a glance: totals and today's entries.</summary>
public sealed class IndexModel(EntryStore entries) : AppPage
{
    public EntryDays Today { get; private set; } = null!;

    public async Task OnGetAsync()
    {
        var local = Shell.Local(Shell.Now);
        var from = new DateTimeOffset(local.Date, local.Offset).ToUniversalTime();
        var (list, next) = await entries.ListAsync(
            Caller.OrgId, Caller.UserId, Caller.ViewerScope(), new EntryFilter(from, from.AddDays(1), null, null, null, 500), HttpContext.RequestAborted);
        Today = EntryDays.Of(Shell, list, next is not null);
    }
}
