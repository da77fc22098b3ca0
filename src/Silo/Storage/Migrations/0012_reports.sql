-- R28: reports read an org's entries by start time and sum their split and amounts. A covering index makes a period's
-- entries one index range of one org, read without the table (an index-only scan once vacuumed), whatever the number
-- of other orgs; a whole year of a large org is still cheaper to read in one sequential pass, and the planner does so.
CREATE INDEX time_entries_by_start ON time_entries (org_id, started_at)
    INCLUDE (project_id, user_id, agent_id, source, currency, billable, duration_seconds, active_seconds, agent_seconds,
             idle_seconds, amount);
