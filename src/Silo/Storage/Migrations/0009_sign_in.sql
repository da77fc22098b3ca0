-- Issue 24: cookie sessions the server can revoke, and failed sign-ins counted per account on every node.

-- One row per signed-in browser. The cookie names its row (claim hd:sid); every request checks the row is not
-- revoked, so logging out or changing the password takes effect on every node at once.
CREATE TABLE cookie_sessions (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX cookie_sessions_by_user ON cookie_sessions (user_id) WHERE revoked_at IS NULL;

-- Failed sign-ins (and failed current-password checks) per normalized email, known or not, so every node throttles
-- an account together and an unknown email is throttled like a known one. A success clears the account's rows.
CREATE TABLE sign_in_failures (
    email_key  text NOT NULL,
    failed_at  timestamptz NOT NULL
);
CREATE INDEX sign_in_failures_by_account ON sign_in_failures (email_key, failed_at);
CREATE INDEX sign_in_failures_by_age ON sign_in_failures (failed_at);
