-- Issue 6: an agent's lease renewal (Storage/Agents/AgentStore.cs, R15) finds its open session by
-- (org_id, agent_id) and moves last_heard_at forward.
--
-- sessions_agent_leases indexed last_heard_at over every open agent session. PostgreSQL's generic plan for
-- the renewal chose it ("last_heard_at < $3" matches the whole index) over the unique (org_id, agent_id)
-- one, so each renewal scanned every open agent session: 1.5 ms per call with 1,000 agents open, growing
-- with the fleet. Indexing last_heard_at also made every renewal a non-HOT update that wrote a new entry
-- into each of the table's indexes. Without it, the renewal can only use sessions_one_open_per_agent, and
-- it changes no indexed column. The auto-stop sweep (Agents/AgentAutoStop.cs) reads open agent sessions
-- through sessions_one_open_per_agent, which has the same predicate, and sorts the few it finds expired.
DROP INDEX sessions_agent_leases;

-- Room on each page for the next versions of a row, so the frequent updates of a session (every log,
-- beat and renewal) and of a user's tracking row stay on their page as HOT updates.
ALTER TABLE sessions SET (fillfactor = 80);
ALTER TABLE user_tracking SET (fillfactor = 80);
