-- Issue 24: an Idempotency-Key's outcome survives a crash. A claim lasts a lease from claimed_at; a retry after it lapsed
-- (the node died mid-request) takes it over. idempotency_effects holds the answer of every grain call a keyed request
-- made, committed with that call's write, so the retry rebuilds the answer instead of doing the work twice.
ALTER TABLE idempotency_keys ADD COLUMN claimed_at timestamptz;
UPDATE idempotency_keys SET claimed_at = created_at;
ALTER TABLE idempotency_keys ALTER COLUMN claimed_at SET NOT NULL;

CREATE TABLE idempotency_effects (
    scope       text NOT NULL,
    key         text NOT NULL,
    grain       text NOT NULL,
    call        text NOT NULL,
    answer      bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (scope, key, grain, call)
);
CREATE INDEX idempotency_effects_by_age ON idempotency_effects (created_at);
