-- Issue 23: on Orleans, a focus change is several writes, each grain its own (README, "Consistency across grains"):
-- the timer stops, the focused session is demoted, the new one is promoted. The user's focus and its agents' open
-- sessions are therefore read from the session rows, the facts, instead of being kept twice in user_tracking, where
-- a crash between two of those writes could leave them wrong. user_tracking keeps the timer and its version.
ALTER TABLE user_tracking DROP COLUMN focused_session_id; -- drops its CHECK against the timer too (replaced below)
ALTER TABLE user_tracking DROP COLUMN agent_sessions;

-- R3: a running timer and an active beat never overlap. Each side, when it starts, checks for the other under
-- the same per-user transaction lock, so of two transactions starting them at once the second waits for the first
-- to commit and then sees what it wrote (under READ COMMITTED each statement of the function reads afresh). Refused
-- as a stale write (HD409): the writer decided on a state that is no longer current. Only active beats and running
-- timers take the lock; agent and idle beats, most of the writes, do not.
CREATE FUNCTION hd_lock_user_focus(org uuid, usr uuid) RETURNS void
LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(hashtextextended('hd_focus ' || org::text || ' ' || usr::text, 0)) $$;

CREATE FUNCTION hd_refuse_active_beside_timer() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM hd_lock_user_focus(NEW.org_id, NEW.user_id);
    IF EXISTS (SELECT 1 FROM user_tracking WHERE org_id = NEW.org_id AND user_id = NEW.user_id AND timer_started_at IS NOT NULL) THEN
        RAISE EXCEPTION 'user % has a running timer; no beat may be active beside it', NEW.user_id USING ERRCODE = 'HD409';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER beats_never_beside_timer BEFORE INSERT ON beats
FOR EACH ROW WHEN (NEW.kind = 'active') EXECUTE FUNCTION hd_refuse_active_beside_timer();

CREATE FUNCTION hd_refuse_timer_beside_active() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM hd_lock_user_focus(NEW.org_id, NEW.user_id);
    IF EXISTS (SELECT 1 FROM beats WHERE org_id = NEW.org_id AND user_id = NEW.user_id AND kind = 'active' AND ended_at IS NULL) THEN
        RAISE EXCEPTION 'user % has an active beat; no timer may run beside it', NEW.user_id USING ERRCODE = 'HD409';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER user_tracking_timer_never_beside_active BEFORE INSERT OR UPDATE ON user_tracking
FOR EACH ROW WHEN (NEW.timer_started_at IS NOT NULL) EXECUTE FUNCTION hd_refuse_timer_beside_active();
