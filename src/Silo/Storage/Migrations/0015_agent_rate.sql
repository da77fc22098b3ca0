-- R26: a project may price billed agent seconds at an agent rate of its own (in its client's currency). It is
-- snapshotted at session start with Bill agent time (R5), so a later change never re-prices older work.
ALTER TABLE projects ADD COLUMN agent_rate numeric(14, 2) CHECK (agent_rate >= 0);
ALTER TABLE sessions ADD COLUMN agent_rate numeric(14, 2);
