-- Functions on the write path whose plans PostgreSQL kept for nothing (docs/BENCHMARKS.md, round 15).
-- PostgreSQL 15 parses and plans the body of a LANGUAGE sql function again on every call unless it can inline it into
-- the calling statement, and it inlines only a single SELECT of one expression whose volatility the declaration
-- matches. pg_stat_user_functions under the benchmark's mix showed what that cost per call: hd_webhook_enqueue
-- (an INSERT … SELECT, never inlined) 274 µs, hd_entry_amount (a subquery, never inlined) 230 µs per stored entry,
-- hd_round_half_even 63 µs, hd_webhook_time 23 µs (declared IMMUTABLE around the STABLE to_char, so never inlined).
-- PL/pgSQL keeps each statement's plan for the connection's life, and hd_webhook_time declared STABLE is inlined.
-- Same expressions, same results: EntrySplitTests compares the amount with Hourdini.Grains.Entries.EntryMoney.

CREATE OR REPLACE FUNCTION hd_webhook_enqueue(org uuid, event text, data jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (org_id, id, webhook_id, event, data, created_at, next_attempt_at)
    SELECT w.org_id, hd_uuid7(), w.id, event, data, now(), now()
    FROM webhooks w WHERE w.org_id = org AND event = ANY (w.events);
END
$$;

CREATE OR REPLACE FUNCTION hd_webhook_time(at timestamptz) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

CREATE OR REPLACE FUNCTION hd_round_half_even(value numeric) RETURNS numeric LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN CASE WHEN abs(value * 100 - trunc(value * 100)) = 0.5
                THEN (trunc(value * 100) + CASE WHEN trunc(value * 100) % 2 = 0 THEN 0 ELSE sign(value) END) / 100
                ELSE round(value, 2) END;
END
$$;

CREATE OR REPLACE FUNCTION hd_entry_amount(billable boolean, duration_seconds bigint, active_seconds bigint, agent_seconds bigint,
    agent_billed boolean, rate numeric, agent_rate numeric) RETURNS numeric LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    base bigint := active_seconds + CASE WHEN agent_billed THEN agent_seconds ELSE 0 END;
    units numeric := active_seconds * rate + CASE WHEN agent_billed THEN agent_seconds * coalesce(agent_rate, rate) ELSE 0 END;
BEGIN
    RETURN CASE
        WHEN NOT billable THEN 0
        WHEN base = duration_seconds THEN hd_round_half_even(units / 3600)
        WHEN base = 0 THEN hd_round_half_even(duration_seconds * rate / 3600)
        ELSE hd_round_half_even(units * duration_seconds / base / 3600)
    END;
END
$$;
