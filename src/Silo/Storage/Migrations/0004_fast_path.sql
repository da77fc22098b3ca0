-- Issue 6, the fast write path.

-- Each node caches what a token stands for (Storage/Accounts/CallerCache.cs). Any change to a token,
-- an agent or a membership tells every node to forget that user's cached callers at once. The one
-- "org user" notifier of migration 0003 now takes its channel as the trigger's argument.
CREATE OR REPLACE FUNCTION hd_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    PERFORM pg_notify(TG_ARGV[0], changed.org_id::text || ' ' || changed.user_id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER tokens_notify_auth AFTER UPDATE OR DELETE ON tokens
    FOR EACH ROW EXECUTE FUNCTION hd_notify_change('hd_auth');
CREATE TRIGGER agents_notify_auth AFTER UPDATE OR DELETE ON agents
    FOR EACH ROW EXECUTE FUNCTION hd_notify_change('hd_auth');
CREATE TRIGGER memberships_notify_auth AFTER UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION hd_notify_change('hd_auth');

-- Live changes are announced by the nodes after each commit (Live/ChangeNotifier.cs), not by triggers:
-- a NOTIFY inside a transaction holds PostgreSQL's notify-queue lock until that transaction's commit is
-- flushed, which serialized every write of the cluster behind one fsync.
DROP TRIGGER user_tracking_notify ON user_tracking;
DROP TRIGGER sessions_notify ON sessions;
DROP TRIGGER time_entries_notify ON time_entries;
