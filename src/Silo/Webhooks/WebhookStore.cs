using Hourdini.Grains.Common;
using Hourdini.Silo.Storage;
using Npgsql;

namespace Hourdini.Silo.Webhooks;

/// <param name="FailingAttempts">Failed attempts in a row; a delivered one sets it back to 0.</param>
/// <param name="PausedUntil">While its receiver keeps failing, its deliveries wait until then (migration 0022).</param>
public sealed record Webhook(Guid Id, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, int FailingAttempts = 0, DateTimeOffset? PausedUntil = null);

public sealed record WebhookDelivery(
    Guid Id, string Event, string Status, int Attempts, int? LastStatusCode, string? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset? LastAttemptAt, DateTimeOffset? NextAttemptAt, DateTimeOffset? DeliveredAt);

/// <summary>An org's webhooks (R33) and what was sent to each. The outbox rows themselves are written by the changes.</summary>
public sealed class WebhookStore(NpgsqlDataSource dataSource, TimeProvider clock, WebhookOptions options)
{
    /// <remarks>
    /// The id derives from the request's <c>Idempotency-Key</c>: a keyed request run again after a crash finds its webhook
    /// and gives it the new secret, since the first one was never shown.
    /// </remarks>
    public Task<Webhook> CreateAsync(Guid orgId, Guid userId, Uri url, IReadOnlyList<string> events, string secret, CancellationToken ct) => Db.RunAsync(async () =>
    {
        var now = clock.UtcNowMs();
        var webhook = new Webhook(IdempotentRequest.NewId(now, "webhook"), url.AbsoluteUri, events, now);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        // One creation at a time per org, so the limit holds under concurrent requests.
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtextextended('webhooks/' || $1::text, 0))", ct, orgId);
        await using (var count = await connection.QueryAsync("SELECT count(*) FROM webhooks WHERE org_id = $1 AND id <> $2", ct, orgId, webhook.Id))
        {
            await count.ReadAsync(ct);
            if (count.GetInt64(0) >= options.MaxPerOrg)
            {
                throw Refusal.Conflict("too_many_webhooks", $"An org has at most {options.MaxPerOrg} webhooks; delete one first.");
            }
        }

        await connection.ExecuteAsync(
            """
            INSERT INTO webhooks (org_id, id, url, events, secret, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (org_id, id) DO UPDATE SET secret = excluded.secret
            """,
            ct, orgId, webhook.Id, webhook.Url, events.ToArray(), secret, userId, webhook.CreatedAt);
        await transaction.CommitAsync(ct);
        return webhook;
    });

    public Task<IReadOnlyList<Webhook>> ListAsync(Guid orgId, CancellationToken ct) => dataSource.ListAsync(
        "SELECT id, url, events, created_at, consecutive_failures, paused_until FROM webhooks WHERE org_id = $1 ORDER BY created_at, id", Read, ct, orgId);

    public async Task<Webhook?> GetAsync(Guid orgId, Guid id, CancellationToken ct) => (await dataSource.ListAsync(
        "SELECT id, url, events, created_at, consecutive_failures, paused_until FROM webhooks WHERE org_id = $1 AND id = $2", Read, ct, orgId, id)).SingleOrDefault();

    /// <summary>Removes the webhook and its deliveries, sent or not: nothing more goes to its URL.</summary>
    public Task<bool> DeleteAsync(Guid orgId, Guid id, CancellationToken ct) => Db.RunAsync(async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync("DELETE FROM webhooks WHERE org_id = $1 AND id = $2", ct, orgId, id) == 1;
    });

    /// <summary>The webhook's deliveries, newest first.</summary>
    public Task<IReadOnlyList<WebhookDelivery>> DeliveriesAsync(Guid orgId, Guid webhookId, int limit, CancellationToken ct) => dataSource.ListAsync(
        """
        SELECT id, event, status, attempts, last_status_code, last_error, created_at, last_attempt_at,
               CASE WHEN status = 'pending' THEN next_attempt_at END AS next_attempt_at, delivered_at
        FROM webhook_deliveries WHERE org_id = $1 AND webhook_id = $2
        ORDER BY created_at DESC, id DESC LIMIT $3
        """,
        r => new WebhookDelivery(
            r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.Get<int?>("last_status_code"), r.Get<string>("last_error"),
            r.GetFieldValue<DateTimeOffset>(6), r.Get<DateTimeOffset?>("last_attempt_at"), r.Get<DateTimeOffset?>("next_attempt_at"),
            r.Get<DateTimeOffset?>("delivered_at")),
        ct, orgId, webhookId, limit);

    private Webhook Read(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.GetString(1), r.GetFieldValue<string[]>(2), r.GetFieldValue<DateTimeOffset>(3), r.GetInt32(4),
            r.Get<DateTimeOffset?>("paused_until") is { } until && until > clock.GetUtcNow() ? until : null);
}
