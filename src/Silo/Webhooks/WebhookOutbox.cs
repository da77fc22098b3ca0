using Hourdini.Silo.Storage;
using Npgsql;

namespace Hourdini.Silo.Webhooks;

/// <summary>
/// How a change reports itself to webhooks: an outbox row per subscribed webhook, written in the change's own transaction
/// (R33: a committed change is delivered at least once, a rolled-back one never). Sessions and entries need nothing:
/// triggers on their tables enqueue (migration 0017). Anything else stages <see cref="Enqueue"/> beside its own rows
/// (a grain through its pending rows, a store in its transaction), or calls <c>hd_webhook_enqueue(org, event, data)</c>
/// from SQL. With no webhook subscribed the statement inserts nothing.
/// </summary>
public static class WebhookOutbox
{
    /// <param name="dataJson">The body's <c>data</c>: a JSON object, e.g. <c>{"budget": {...}}</c>.</param>
    public static NpgsqlBatchCommand Enqueue(Guid orgId, string eventName, string dataJson) =>
        Db.Command("SELECT hd_webhook_enqueue($1, $2, $3)", orgId, eventName, Db.Jsonb(dataJson));
}
