-- Membership by consent: an owner invites an email with a role, and the person signed in with that email
-- accepts with the token the owner handed them. Nothing is attached before that. Only the token's SHA-256
-- is kept, as for personal access and agent tokens.
CREATE TABLE invitations (
    org_id      uuid NOT NULL REFERENCES orgs (id),
    id          uuid NOT NULL,
    email       text NOT NULL,
    email_key   text NOT NULL,
    role        text NOT NULL CHECK (role IN ('owner', 'member', 'viewer')),
    token_hash  bytea NOT NULL UNIQUE,
    invited_by  uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by uuid REFERENCES users (id),
    revoked_at  timestamptz,
    PRIMARY KEY (org_id, id),
    CHECK (expires_at > created_at),
    CHECK ((accepted_at IS NULL) = (accepted_by IS NULL)),
    CHECK (accepted_at IS NULL OR revoked_at IS NULL)
);
-- One open invitation per email and org: inviting again replaces it (the store revokes the old one first).
CREATE UNIQUE INDEX invitations_one_open_per_email ON invitations (org_id, email_key)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
