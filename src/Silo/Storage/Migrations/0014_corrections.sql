-- R27: a session's entry can be corrected (description, tags, billable, duration within the session's span). The
-- session and its timeline stay as they are (R7); the entry keeps its duration before the first correction, and
-- every correction is a row of the org's audit trail.
ALTER TABLE time_entries
    ADD COLUMN original_duration_seconds bigint,
    ADD COLUMN corrected_at timestamptz;

CREATE TABLE audit_events (
    org_id        uuid NOT NULL,
    id            uuid NOT NULL,
    at            timestamptz NOT NULL,
    actor_user_id uuid NOT NULL,
    type          text NOT NULL,
    subject_id    uuid NOT NULL,
    data          jsonb NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX audit_events_by_subject ON audit_events (org_id, subject_id, at);
