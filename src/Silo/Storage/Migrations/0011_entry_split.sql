-- R25: every entry carries its split. A session's entry keeps the session's totals (from its stop event, which is
-- permanent and holds them exactly); a timer, manual or imported entry is all hands-on time. R26's agent_rate is
-- here too (null: billed agent time at the entry's rate) so that an entry's amount has one formula from now on.
ALTER TABLE time_entries
    ADD COLUMN active_seconds bigint,
    ADD COLUMN agent_seconds  bigint NOT NULL DEFAULT 0 CHECK (agent_seconds >= 0),
    ADD COLUMN idle_seconds   bigint NOT NULL DEFAULT 0 CHECK (idle_seconds >= 0),
    ADD COLUMN agent_billed   boolean NOT NULL DEFAULT false,
    ADD COLUMN agent_rate     numeric(14, 2);

-- Billed seconds are rounded down once over active and agent time together (R10), so a billed split gives the
-- agent the remainder: active_seconds + agent_seconds = duration_seconds holds exactly (R25).
UPDATE time_entries e
SET active_seconds = (ev.data->>'active_seconds')::bigint,
    agent_seconds  = CASE WHEN s.bill_agent_time THEN e.duration_seconds - (ev.data->>'active_seconds')::bigint
                          ELSE (ev.data->>'agent_seconds')::bigint END,
    idle_seconds   = (ev.data->>'idle_seconds')::bigint,
    agent_billed   = s.bill_agent_time
FROM sessions s, session_events ev
WHERE e.session_id IS NOT NULL AND s.org_id = e.org_id AND s.id = e.session_id
  AND ev.org_id = e.org_id AND ev.session_id = e.session_id AND ev.type = 'session_stop';

UPDATE time_entries SET active_seconds = duration_seconds WHERE active_seconds IS NULL;
ALTER TABLE time_entries ALTER COLUMN active_seconds SET NOT NULL,
    ADD CONSTRAINT time_entries_active_seconds_check CHECK (active_seconds >= 0);

-- Cents, a half to the even neighbour (banker's rounding), as the API's amounts are (R26, R31).
CREATE FUNCTION hd_round_half_even(value numeric) RETURNS numeric LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN abs(value * 100 - trunc(value * 100)) = 0.5
                THEN (trunc(value * 100) + CASE WHEN trunc(value * 100) % 2 = 0 THEN 0 ELSE sign(value) END) / 100
                ELSE round(value, 2) END
$$;

-- R26: hands-on seconds at the rate, billed agent seconds at the agent rate (or the rate); nothing for a
-- non-billable entry. A duration corrected away from the split (R27) scales what was billed. Mirrored by
-- Hourdini.Grains.Entries.EntryMoney.Amount; EntrySplitTests checks that the two agree.
CREATE FUNCTION hd_entry_amount(billable boolean, duration_seconds bigint, active_seconds bigint, agent_seconds bigint,
    agent_billed boolean, rate numeric, agent_rate numeric) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN NOT billable THEN 0
        WHEN base = duration_seconds THEN hd_round_half_even(units / 3600)
        WHEN base = 0 THEN hd_round_half_even(duration_seconds * rate / 3600)
        ELSE hd_round_half_even(units * duration_seconds / base / 3600)
    END
    FROM (SELECT active_seconds + CASE WHEN agent_billed THEN agent_seconds ELSE 0 END AS base,
                 active_seconds * rate + CASE WHEN agent_billed THEN agent_seconds * coalesce(agent_rate, rate) ELSE 0 END AS units) split
$$;

ALTER TABLE time_entries ADD COLUMN amount numeric(14, 2) GENERATED ALWAYS AS (
    hd_entry_amount(billable, duration_seconds, active_seconds, agent_seconds, agent_billed, rate, agent_rate)) STORED;
