-- Deliveries get time-ordered ids (the UUIDv7 layout: 48 bits of Unix milliseconds, version 7, random bits), as the
-- application's own ids are: their primary key then grows at its right edge instead of touching a random leaf page per
-- insert, which after each checkpoint writes a full page image to the WAL. The outbox's cost on the write path
-- (docs/BENCHMARKS.md, issue 26). PostgreSQL 15 has no uuidv7() of its own.
CREATE FUNCTION hd_uuid7() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;

CREATE OR REPLACE FUNCTION hd_webhook_enqueue(org uuid, event text, data jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO webhook_deliveries (org_id, id, webhook_id, event, data, created_at, next_attempt_at)
    SELECT w.org_id, hd_uuid7(), w.id, event, data, now(), now()
    FROM webhooks w WHERE w.org_id = org AND event = ANY (w.events)
$$;
