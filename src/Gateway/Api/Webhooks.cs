using System.Security.Cryptography;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Common;
using Hourdini.Silo.Webhooks;

namespace Hourdini.Gateway.Api;

/// <summary>
/// R33: an owner's webhooks and their deliveries. Owners only (a member, viewer or agent token is 403); the secret is
/// in the creation's answer and nowhere else.
/// </summary>
public static class Webhooks
{
    public const string SecretPrefix = "whsec_";

    [OpenApi.Requires("url", "events")]
    public sealed record CreateRequest(string? Url, string[]? Events);

    public static void MapWebhooks(this RouteGroupBuilder api)
    {
        var webhooks = api.MapGroup("/webhooks").RequireAuthorization().WithTags("Webhooks");

        webhooks.MapPost("", async (CreateRequest body, HttpContext context, WebhookStore store, WebhookAddressGuard guard) =>
        {
            var caller = context.Caller().EnsureOwner();
            var events = Events(body.Events);
            var url = await guard.CheckUrlAsync(body.Url, context.RequestAborted);
            var secret = NewSecret();
            var webhook = await store.CreateAsync(caller.OrgId, caller.UserId, url, events, secret, context.RequestAborted);
            return Results.Created($"/api/v1/webhooks/{webhook.Id}", new { webhook = View(webhook), secret });
        }).Returns<OpenApi.WebhookCreated>("createWebhook", "Add a webhook (owners); its signing secret is shown once", StatusCodes.Status201Created);
        webhooks.MapGet("", async (HttpContext context, WebhookStore store) =>
        {
            var caller = context.Caller().EnsureOwner();
            return Results.Ok(new { webhooks = (await store.ListAsync(caller.OrgId, context.RequestAborted)).Select(View) });
        }).Returns<OpenApi.WebhookList>("listWebhooks", "List webhooks (owners)");
        webhooks.MapDelete("/{id}", async (string id, HttpContext context, WebhookStore store) =>
        {
            var caller = context.Caller().EnsureOwner();
            return await store.DeleteAsync(caller.OrgId, Validate.Id(id, "Webhook"), context.RequestAborted)
                ? Results.NoContent()
                : throw Refusal.NotFound("Webhook");
        }).ReturnsNothing("deleteWebhook", "Remove a webhook (owners)");
        webhooks.MapGet("/{id}/deliveries", async (string id, int? limit, HttpContext context, WebhookStore store) =>
        {
            var caller = context.Caller().EnsureOwner();
            var webhook = await store.GetAsync(caller.OrgId, Validate.Id(id, "Webhook"), context.RequestAborted) ?? throw Refusal.NotFound("Webhook");
            var deliveries = await store.DeliveriesAsync(caller.OrgId, webhook.Id, Limit(limit), context.RequestAborted);
            return Results.Ok(new { deliveries = deliveries.Select(View) });
        }).Returns<OpenApi.DeliveryList>("listWebhookDeliveries", "List a webhook's newest deliveries (owners)");
    }

    /// <summary>The newest deliveries only: 50 unless <c>limit</c> (1–200) says otherwise.</summary>
    private static int Limit(int? limit) => limit switch
    {
        null => 50,
        >= 1 and <= 200 => limit.Value,
        _ => throw Refusal.Invalid("limit must be between 1 and 200."),
    };

    private static string[] Events(string[]? events)
    {
        if (events is not { Length: > 0 })
        {
            throw Refusal.Invalid($"events must name at least one of: {string.Join(", ", WebhookEvents.All)}.");
        }

        foreach (var name in events)
        {
            if (!WebhookEvents.All.Contains(name))
            {
                throw Refusal.Invalid($"\"{name}\" is not an event; events are: {string.Join(", ", WebhookEvents.All)}.", "unknown_event");
            }
        }

        return [.. WebhookEvents.All.Where(events.Contains)]; // each once, in the list's order
    }

    /// <summary>Kept as it is, not hashed: it signs every delivery (R33).</summary>
    private static string NewSecret() => SecretPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static object View(Webhook w) => new { id = w.Id, url = w.Url, events = w.Events, created_at = w.CreatedAt, failing_attempts = w.FailingAttempts, paused_until = w.PausedUntil };

    /// <summary>API.md's fields, and what an owner needs to see why a delivery is not through yet.</summary>
    public static object View(WebhookDelivery d) => new
    {
        id = d.Id,
        @event = d.Event,
        status = d.Status,
        attempts = d.Attempts,
        last_status_code = d.LastStatusCode,
        created_at = d.CreatedAt,
        last_error = d.LastError,
        last_attempt_at = d.LastAttemptAt,
        next_attempt_at = d.NextAttemptAt,
        delivered_at = d.DeliveredAt,
    };
}
