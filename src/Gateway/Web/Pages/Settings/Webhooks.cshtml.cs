using Hourdini.Grains.Accounts;
using Hourdini.Silo.Webhooks;

namespace Hourdini.Gateway.Web.Pages.Settings;

/// <summary>
/// /settings/webhooks (R33): an owner registers endpoints for chosen events (the secret shown once), removes them, and
/// sees each one's latest deliveries with their status, attempts and last error. Others are told only owners can.
/// </summary>
public sealed class WebhooksModel(WebhookStore store) : AppPage
{
    public const int DeliveriesShown = 20;

    public bool IsOwner => Caller.Role == Role.Owner;

    public IReadOnlyList<(Webhook Webhook, IReadOnlyList<WebhookDelivery> Deliveries)> Webhooks { get; private set; } = [];

    public async Task OnGetAsync()
    {
        if (!IsOwner)
        {
            return;
        }

        var list = new List<(Webhook, IReadOnlyList<WebhookDelivery>)>();
        foreach (var webhook in await store.ListAsync(Caller.OrgId, HttpContext.RequestAborted))
        {
            list.Add((webhook, await store.DeliveriesAsync(Caller.OrgId, webhook.Id, DeliveriesShown, HttpContext.RequestAborted)));
        }

        Webhooks = list;
    }
}
