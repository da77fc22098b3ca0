-- R33: a webhook whose receiver keeps failing is paused, as Stripe and Svix do, instead of every delivery (and every
-- new event) costing an attempt of its own: after Hourdini:Webhooks:PauseAfter failed attempts in a row, its pending
-- deliveries wait until paused_until, which doubles with each pause (FirstBackoff up to MaxBackoff). Events that arrive
-- meanwhile are due then too. Any delivered attempt ends the pause. Nothing is dropped: a delivery still fails only
-- RetryFor after its event (WebhookDispatcher, docs/WEBHOOKS.md).
ALTER TABLE webhooks
    ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0,
    ADD COLUMN pauses integer NOT NULL DEFAULT 0,
    ADD COLUMN paused_until timestamptz;

CREATE OR REPLACE FUNCTION hd_webhook_enqueue(org uuid, event text, data jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (org_id, id, webhook_id, event, data, created_at, next_attempt_at)
    SELECT w.org_id, hd_uuid7(), w.id, event, data, now(), greatest(now(), w.paused_until)
    FROM webhooks w WHERE w.org_id = org AND event = ANY (w.events);
END
$$;
