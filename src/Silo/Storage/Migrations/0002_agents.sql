-- Agents, their tasks and messages, session timelines, and agent leases (R8, R11–R16).

-- A version-like check for a set: exactly `expected` rows changed, else the writer's view was stale.
CREATE FUNCTION hd_expect_count(affected bigint, expected bigint, what text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF affected <> expected THEN
        RAISE EXCEPTION 'expected % rows, changed %, on %', expected, affected, what USING ERRCODE = 'HD409';
    END IF;
END $$;

CREATE TABLE agents (
    org_id      uuid NOT NULL REFERENCES orgs (id),
    id          uuid NOT NULL,
    user_id     uuid NOT NULL,
    name        text NOT NULL,
    status      text NOT NULL CHECK (status IN ('active', 'disabled')),
    secret_hash bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id)
);

ALTER TABLE sessions
    ADD COLUMN last_heard_at        timestamptz,
    ADD COLUMN sweep_claimed_until  timestamptz,
    ADD COLUMN events_count         integer NOT NULL DEFAULT 0,
    ADD COLUMN tasks_worked_on      uuid[] NOT NULL DEFAULT '{}',
    ADD COLUMN tasks_completed      uuid[] NOT NULL DEFAULT '{}',
    ADD COLUMN logs_count           integer NOT NULL DEFAULT 0,
    ADD FOREIGN KEY (org_id, agent_id) REFERENCES agents (org_id, id);
-- R8: one open session per agent.
CREATE UNIQUE INDEX sessions_one_open_per_agent ON sessions (org_id, agent_id) WHERE agent_id IS NOT NULL AND stopped_at IS NULL;
-- R15: the sweeper's scan of open agent sessions.
CREATE INDEX sessions_agent_leases ON sessions (last_heard_at) WHERE agent_id IS NOT NULL AND stopped_at IS NULL;

ALTER TABLE user_tracking ADD COLUMN agent_sessions jsonb NOT NULL DEFAULT '{}';

CREATE TABLE tasks (
    org_id            uuid NOT NULL,
    id                uuid NOT NULL,
    project_id        uuid NOT NULL,
    title             text NOT NULL,
    status            text NOT NULL CHECK (status IN ('open', 'in_progress', 'done')),
    assignee_agent_id uuid,
    -- When the assignee pulled this assignment (R12); a new assignee makes it new again.
    assignment_pulled_at timestamptz,
    created_by        uuid NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id),
    FOREIGN KEY (org_id, assignee_agent_id) REFERENCES agents (org_id, id)
);
CREATE INDEX tasks_by_project ON tasks (org_id, project_id, created_at);
CREATE INDEX tasks_unpulled ON tasks (org_id, assignee_agent_id) WHERE assignee_agent_id IS NOT NULL AND assignment_pulled_at IS NULL;

CREATE TABLE messages (
    org_id       uuid NOT NULL,
    id           uuid NOT NULL,
    agent_id     uuid NOT NULL,
    from_user_id uuid NOT NULL,
    text         text NOT NULL,
    created_at   timestamptz NOT NULL,
    pulled_at    timestamptz,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, agent_id) REFERENCES agents (org_id, id)
);
CREATE INDEX messages_unpulled ON messages (org_id, agent_id, created_at) WHERE pulled_at IS NULL;

-- R13: the session's timeline, in order, append-only.
CREATE TABLE session_events (
    org_id     uuid NOT NULL,
    session_id uuid NOT NULL,
    seq        integer NOT NULL,
    type       text NOT NULL,
    at         timestamptz NOT NULL,
    data       jsonb NOT NULL,
    PRIMARY KEY (org_id, session_id, seq),
    -- Checked at commit: a session's first event is staged in the same turn as the session itself.
    FOREIGN KEY (org_id, session_id) REFERENCES sessions (org_id, id) DEFERRABLE INITIALLY DEFERRED
);

-- R7: events are never rewritten, and a stopped session takes no more.
CREATE FUNCTION hd_refuse_timeline_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM sessions s
                   WHERE s.org_id = NEW.org_id AND s.id = NEW.session_id AND s.stopped_at IS NOT NULL) THEN
            RAISE EXCEPTION 'session % is stopped and cannot change', NEW.session_id USING ERRCODE = 'HD407';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the timeline of session % is append-only', OLD.session_id USING ERRCODE = 'HD407';
END $$;
CREATE TRIGGER session_events_append_only BEFORE INSERT OR UPDATE OR DELETE ON session_events
    FOR EACH ROW EXECUTE FUNCTION hd_refuse_timeline_change();
