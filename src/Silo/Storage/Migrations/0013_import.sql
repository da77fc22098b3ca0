-- R30: imports. Every imported entry carries the fingerprint of the row it came from, unique within its org, so a file
-- imported twice creates nothing the second time; `imports` keeps what each committed import did. Written to run again
-- harmlessly (IF NOT EXISTS): a test re-runs the migrations from 0011 on a database that has this one already.
CREATE TABLE IF NOT EXISTS imports (
    org_id           uuid NOT NULL REFERENCES orgs (id),
    id               uuid NOT NULL,
    user_id          uuid NOT NULL,
    source           text NOT NULL CHECK (source IN ('toggl', 'clockify', 'harvest')),
    rows             integer NOT NULL,
    created          integer NOT NULL,
    duplicates       integer NOT NULL,
    failed           jsonb NOT NULL,
    clients_created  integer NOT NULL,
    projects_created integer NOT NULL,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (org_id, id)
);

ALTER TABLE time_entries
    ADD COLUMN IF NOT EXISTS import_id          uuid,
    ADD COLUMN IF NOT EXISTS import_fingerprint text;

CREATE UNIQUE INDEX IF NOT EXISTS time_entries_import_fingerprint ON time_entries (org_id, import_fingerprint) WHERE import_fingerprint IS NOT NULL;
