-- Live updates (DESIGN.md): every committed change to a user's tracking state tells the nodes
-- through NOTIFY, whichever node made it. The payload names the org and the user ("org user");
-- PostgreSQL folds identical notifications of one transaction into one, so a turn sends one.
CREATE FUNCTION hd_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    PERFORM pg_notify('hd_changes', changed.org_id::text || ' ' || changed.user_id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER user_tracking_notify AFTER INSERT OR UPDATE ON user_tracking
    FOR EACH ROW EXECUTE FUNCTION hd_notify_change();
CREATE TRIGGER sessions_notify AFTER INSERT OR UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION hd_notify_change();
CREATE TRIGGER time_entries_notify AFTER INSERT OR UPDATE OR DELETE ON time_entries
    FOR EACH ROW EXECUTE FUNCTION hd_notify_change();
