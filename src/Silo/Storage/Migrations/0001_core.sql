-- Core schema: tenancy, accounts, catalog, live tracking and entries.
-- Every table's key leads with org_id (DESIGN.md: sharding by organization stays possible).
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- A version check that failed: the writer's cached state is stale (DESIGN.md, ETags).
CREATE FUNCTION hd_expect_one(affected bigint, what text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF affected <> 1 THEN
        RAISE EXCEPTION 'version conflict on %', what USING ERRCODE = 'HD409';
    END IF;
END $$;

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL,
    email_key     text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    name          text NOT NULL,
    created_at    timestamptz NOT NULL
);

CREATE TABLE orgs (
    id                  uuid PRIMARY KEY,
    name                text NOT NULL,
    agent_lease_seconds integer NOT NULL DEFAULT 300 CHECK (agent_lease_seconds BETWEEN 5 AND 86400),
    created_at          timestamptz NOT NULL
);

CREATE TABLE memberships (
    org_id     uuid NOT NULL REFERENCES orgs (id),
    user_id    uuid NOT NULL REFERENCES users (id),
    role       text NOT NULL CHECK (role IN ('owner', 'member', 'viewer')),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id, created_at);

CREATE TABLE tokens (
    org_id       uuid NOT NULL REFERENCES orgs (id),
    id           uuid NOT NULL,
    user_id      uuid NOT NULL REFERENCES users (id),
    name         text NOT NULL,
    secret_hash  bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE clients (
    org_id       uuid NOT NULL REFERENCES orgs (id),
    id           uuid NOT NULL,
    name         text NOT NULL,
    currency     char(3) NOT NULL,
    default_rate numeric(14, 2) NOT NULL CHECK (default_rate >= 0),
    color        text NOT NULL,
    archived     boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (org_id, id)
);

-- Viewers see only the clients granted to them.
CREATE TABLE client_grants (
    org_id    uuid NOT NULL,
    client_id uuid NOT NULL,
    user_id   uuid NOT NULL,
    PRIMARY KEY (org_id, client_id, user_id),
    FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);

CREATE TABLE projects (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL,
    client_id       uuid NOT NULL,
    name            text NOT NULL,
    rate            numeric(14, 2) CHECK (rate >= 0),
    bill_agent_time boolean NOT NULL DEFAULT false,
    archived        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id)
);
CREATE INDEX projects_by_client ON projects (org_id, client_id);

-- The user grain's state: its version guards every turn (DESIGN.md, consistency).
CREATE TABLE user_tracking (
    org_id             uuid NOT NULL,
    user_id            uuid NOT NULL,
    version            bigint NOT NULL,
    focused_session_id uuid,
    timer_id           uuid,
    timer_project_id   uuid,
    timer_description  text,
    timer_tags         text[],
    timer_started_at   timestamptz,
    timer_rate         numeric(14, 2),
    timer_currency     char(3),
    PRIMARY KEY (org_id, user_id),
    FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id),
    CHECK (timer_started_at IS NULL OR focused_session_id IS NULL)
);

CREATE TABLE sessions (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL,
    user_id         uuid NOT NULL,
    agent_id        uuid,
    project_id      uuid NOT NULL,
    description     text NOT NULL,
    status          text NOT NULL CHECK (status IN ('started', 'logging', 'stopped')),
    bill_agent_time boolean NOT NULL,
    rate            numeric(14, 2) NOT NULL,
    currency        char(3) NOT NULL,
    started_at      timestamptz NOT NULL,
    stopped_at      timestamptz,
    entry_id        uuid,
    metadata        jsonb NOT NULL DEFAULT '{}',
    version         bigint NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id),
    CHECK ((status = 'stopped') = (stopped_at IS NOT NULL)),
    CHECK (stopped_at IS NULL OR stopped_at >= started_at)
);
CREATE INDEX sessions_by_user ON sessions (org_id, user_id, started_at DESC, id DESC);
CREATE INDEX sessions_open ON sessions (org_id, user_id) WHERE stopped_at IS NULL;

CREATE TABLE beats (
    org_id     uuid NOT NULL,
    session_id uuid NOT NULL,
    seq        integer NOT NULL,
    user_id    uuid NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('active', 'agent', 'idle')),
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    PRIMARY KEY (org_id, session_id, seq),
    FOREIGN KEY (org_id, session_id) REFERENCES sessions (org_id, id),
    CHECK (ended_at IS NULL OR ended_at >= started_at),
    -- R3: no two active intervals of one user overlap, across all of their sessions.
    CONSTRAINT beats_one_active_per_user EXCLUDE USING gist (
        org_id WITH =, user_id WITH =, tstzrange(started_at, ended_at, '[)') WITH &&
    ) WHERE (kind = 'active')
);
-- R3: at most one open active beat per user.
CREATE UNIQUE INDEX beats_one_open_active ON beats (org_id, user_id) WHERE kind = 'active' AND ended_at IS NULL;

CREATE TABLE time_entries (
    org_id           uuid NOT NULL,
    id               uuid NOT NULL,
    user_id          uuid NOT NULL,
    project_id       uuid NOT NULL,
    agent_id         uuid,
    session_id       uuid,
    source           text NOT NULL CHECK (source IN ('timer', 'session', 'manual', 'import')),
    description      text NOT NULL,
    started_at       timestamptz NOT NULL,
    ended_at         timestamptz NOT NULL,
    duration_seconds bigint NOT NULL CHECK (duration_seconds >= 0),
    billable         boolean NOT NULL,
    rate             numeric(14, 2) NOT NULL,
    currency         char(3) NOT NULL,
    tags             text[] NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id),
    FOREIGN KEY (org_id, session_id) REFERENCES sessions (org_id, id),
    CHECK (ended_at >= started_at)
);
-- R6: exactly one entry per session.
CREATE UNIQUE INDEX time_entries_one_per_session ON time_entries (org_id, session_id) WHERE session_id IS NOT NULL;
CREATE INDEX time_entries_by_user ON time_entries (org_id, user_id, started_at DESC, id DESC);
CREATE INDEX time_entries_by_project ON time_entries (org_id, project_id, started_at DESC);

-- R7: a stopped session, its beats and its timeline are a permanent record.
CREATE FUNCTION hd_refuse_stopped_session_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.stopped_at IS NOT NULL THEN
        RAISE EXCEPTION 'session % is stopped and cannot change', OLD.id USING ERRCODE = 'HD407';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER sessions_immutable_once_stopped BEFORE UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION hd_refuse_stopped_session_change();

CREATE FUNCTION hd_refuse_closed_beat_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM sessions s
                   WHERE s.org_id = NEW.org_id AND s.id = NEW.session_id AND s.stopped_at IS NOT NULL) THEN
            RAISE EXCEPTION 'session % is stopped and cannot change', NEW.session_id USING ERRCODE = 'HD407';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.ended_at IS NOT NULL THEN
        RAISE EXCEPTION 'beat % of session % is closed and cannot change', OLD.seq, OLD.session_id USING ERRCODE = 'HD407';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER beats_immutable_once_closed BEFORE INSERT OR UPDATE OR DELETE ON beats
    FOR EACH ROW EXECUTE FUNCTION hd_refuse_closed_beat_change();

-- Idempotency-Key: the first response to a key is replayed for every retry with the same body.
CREATE TABLE idempotency_keys (
    scope         text NOT NULL,
    key           text NOT NULL,
    request_hash  bytea NOT NULL,
    status_code   integer,
    content_type  text,
    body          bytea,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- ASP.NET Core data-protection keys, shared by every node so a cookie minted on one is read on all.
CREATE TABLE data_protection_keys (
    name       text PRIMARY KEY,
    xml        text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
