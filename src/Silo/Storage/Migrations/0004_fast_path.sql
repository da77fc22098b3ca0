-- Issue 6, the fast write path.

-- Each node caches what a token stands for (Storage/Accounts/CallerCache.cs). Any change to a token,
-- an agent or a membership tells every node to forget that user's cached callers at once.
CREATE FUNCTION hd_notify_auth() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    PERFORM pg_notify('hd_auth', changed.org_id::text || ' ' || changed.user_id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER tokens_notify_auth AFTER UPDATE OR DELETE ON tokens
    FOR EACH ROW EXECUTE FUNCTION hd_notify_auth();
CREATE TRIGGER agents_notify_auth AFTER UPDATE OR DELETE ON agents
    FOR EACH ROW EXECUTE FUNCTION hd_notify_auth();
CREATE TRIGGER memberships_notify_auth AFTER UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION hd_notify_auth();

-- A lease renewal (last_heard_at) or a sweeper's claim changes nothing a page shows: only a versioned
-- change of a session wakes the live pages.
DROP TRIGGER sessions_notify ON sessions;
CREATE TRIGGER sessions_notify AFTER INSERT ON sessions
    FOR EACH ROW EXECUTE FUNCTION hd_notify_change();
CREATE TRIGGER sessions_notify_change AFTER UPDATE ON sessions
    FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version) EXECUTE FUNCTION hd_notify_change();
