-- R33: webhooks. An owner's endpoint for chosen events, with the secret that signs its deliveries (kept as it is: it
-- must sign, so it cannot be hashed).
CREATE TABLE webhooks (
    org_id     uuid NOT NULL REFERENCES orgs (id),
    id         uuid NOT NULL,
    url        text NOT NULL,
    events     text[] NOT NULL CHECK (cardinality(events) > 0),
    secret     text NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, id)
);

-- The outbox: one row per webhook and event, inserted by the transaction that makes the change (a rolled-back change
-- leaves none), sent and retried by every node's dispatcher (Hourdini.Silo.Webhooks.WebhookDispatcher), which claims
-- due rows with FOR UPDATE SKIP LOCKED and leases them by moving next_attempt_at forward.
CREATE TABLE webhook_deliveries (
    org_id           uuid NOT NULL,
    id               uuid NOT NULL,
    webhook_id       uuid NOT NULL,
    event            text NOT NULL,
    data             jsonb NOT NULL,
    created_at       timestamptz NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text,
    delivered_at     timestamptz,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, webhook_id) REFERENCES webhooks (org_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (org_id, webhook_id, created_at DESC, id DESC);

-- Timestamps in payloads as the API writes them: UTC, ISO 8601.
CREATE FUNCTION hd_webhook_time(at timestamptz) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- Enqueues one event for every webhook of the org that subscribes to it, in the caller's transaction. Anything that
-- commits a change can call it (a trigger, or a statement staged beside a grain's state: WebhookOutbox.Enqueue).
CREATE FUNCTION hd_webhook_enqueue(org uuid, event text, data jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO webhook_deliveries (org_id, id, webhook_id, event, data, created_at, next_attempt_at)
    SELECT w.org_id, gen_random_uuid(), w.id, event, data, now(), now()
    FROM webhooks w WHERE w.org_id = org AND event = ANY (w.events)
$$;

-- Sessions and entries are written by grains (through the group committer), by the gateway (manual entries,
-- corrections) and by imports: triggers put the outbox rows in whichever transaction that is. An org with no webhook
-- pays one primary-key probe of this small table per inserted session or entry, and nothing on a session's other
-- updates (beats, logs, lease renewals), which the triggers' WHEN clauses skip without calling a function.
CREATE FUNCTION hd_webhook_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhooks WHERE org_id = NEW.org_id) THEN
        RETURN NULL;
    END IF;
    PERFORM hd_webhook_enqueue(NEW.org_id, CASE WHEN TG_OP = 'INSERT' THEN 'session.started' ELSE 'session.ended' END,
        jsonb_build_object('session', jsonb_build_object(
            'id', NEW.id, 'user_id', NEW.user_id, 'agent_id', NEW.agent_id, 'project_id', NEW.project_id,
            'description', NEW.description, 'status', NEW.status, 'bill_agent_time', NEW.bill_agent_time,
            'started_at', hd_webhook_time(NEW.started_at), 'stopped_at', hd_webhook_time(NEW.stopped_at),
            'entry_id', NEW.entry_id)));
    RETURN NULL;
END
$$;

CREATE TRIGGER webhook_session_started AFTER INSERT ON sessions
    FOR EACH ROW EXECUTE FUNCTION hd_webhook_session();
CREATE TRIGGER webhook_session_ended AFTER UPDATE ON sessions
    FOR EACH ROW WHEN (OLD.stopped_at IS NULL AND NEW.stopped_at IS NOT NULL) EXECUTE FUNCTION hd_webhook_session();

CREATE FUNCTION hd_webhook_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhooks WHERE org_id = NEW.org_id) THEN
        RETURN NULL;
    END IF;
    PERFORM hd_webhook_enqueue(NEW.org_id, CASE WHEN TG_OP = 'INSERT' THEN 'entry.created' ELSE 'entry.updated' END,
        jsonb_build_object('entry', jsonb_build_object(
            'id', NEW.id, 'project_id', NEW.project_id, 'user_id', NEW.user_id, 'agent_id', NEW.agent_id,
            'session_id', NEW.session_id, 'source', NEW.source, 'description', NEW.description,
            'started_at', hd_webhook_time(NEW.started_at), 'ended_at', hd_webhook_time(NEW.ended_at),
            'duration_seconds', NEW.duration_seconds, 'billable', NEW.billable, 'rate', to_char(NEW.rate, 'FM999999999990.00'),
            'currency', NEW.currency, 'tags', to_jsonb(NEW.tags), 'active_seconds', NEW.active_seconds,
            'agent_seconds', NEW.agent_seconds, 'idle_seconds', NEW.idle_seconds, 'agent_billed', NEW.agent_billed,
            'agent_rate', to_char(NEW.agent_rate, 'FM999999999990.00'), 'amount', to_char(NEW.amount, 'FM999999999990.00'),
            'original_duration_seconds', NEW.original_duration_seconds,
            'corrected_at', hd_webhook_time(NEW.corrected_at))));
    RETURN NULL;
END
$$;

CREATE TRIGGER webhook_entry_created AFTER INSERT ON time_entries
    FOR EACH ROW EXECUTE FUNCTION hd_webhook_entry();
-- What a reader of the entry sees changed; an entry's other columns (an invoice's lock, say) are reported by their own event.
CREATE TRIGGER webhook_entry_updated AFTER UPDATE ON time_entries
    FOR EACH ROW WHEN ((OLD.project_id, OLD.description, OLD.started_at, OLD.ended_at, OLD.duration_seconds, OLD.billable,
                        OLD.rate, OLD.currency, OLD.tags, OLD.agent_rate)
        IS DISTINCT FROM (NEW.project_id, NEW.description, NEW.started_at, NEW.ended_at, NEW.duration_seconds, NEW.billable,
                          NEW.rate, NEW.currency, NEW.tags, NEW.agent_rate))
    EXECUTE FUNCTION hd_webhook_entry();
