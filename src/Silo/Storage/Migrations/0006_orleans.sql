-- Orleans 10.4.2's ADO.NET providers with invariant "Npgsql": clustering (membership), reminders and
-- grain storage. They send only the SQL they read from orleansquery (SELECT QueryKey, QueryText FROM
-- OrleansQuery), so the tables and functions below can be our own. Only the query keys, the @parameters
-- the providers bind and the columns they read back are fixed by the providers.
--
-- How the providers bind and read, which every query below relies on:
-- - Npgsql replaces each @Name with the parameter of that name. A placeholder with no parameter stays in
--   the SQL as it is, so a query uses only the parameters its caller binds. It can leave some unused.
-- - The parameter types come from DbType: DateTime is timestamptz (always UTC), String and AnsiString
--   are text, Int32 is integer, Int64 is bigint and byte[] is bytea.
-- - Columns are read by name with Npgsql's case-insensitive lookup, so "version" answers "Version".
-- - Every row of every result set reaches the caller, so each query returns its rows from one statement.
-- Names in unquoted SQL fold to lower case: OrleansQuery is orleansquery, QueryKey is querykey.

CREATE TABLE orleansquery (
    querykey  text PRIMARY KEY,
    querytext text NOT NULL
);

-- Membership ----------------------------------------------------------------------------------------
-- One table version per cluster (DeploymentId = ClusterId). Orleans sends an insert or update with the
-- version it last read (@Version). The write applies only if that version is still current, and then
-- moves the version forward by one. The silo's row change and the version step commit together or
-- not at all. A refused write changes nothing and returns false, and the silo reads the table again.
-- Heartbeats (UpdateIAmAlivetimeKey) and cleanup leave the version alone.
CREATE TABLE orleansmembershipversiontable (
    deploymentid text PRIMARY KEY,
    timestamp    timestamptz NOT NULL DEFAULT now(),
    version      integer NOT NULL DEFAULT 0
);

-- One row per silo incarnation. SuspectTimes is Orleans' own encoding of votes
-- ("address,yyyy-MM-dd HH:mm:ss.fff GMT|..."), NULL when there are none. A cluster's rows go with its
-- version row (DeleteMembershipTableEntriesKey).
CREATE TABLE orleansmembershiptable (
    deploymentid text NOT NULL REFERENCES orleansmembershipversiontable (deploymentid) ON DELETE CASCADE,
    address      text NOT NULL,
    port         integer NOT NULL,
    generation   integer NOT NULL,
    siloname     text NOT NULL,
    hostname     text NOT NULL,
    status       integer NOT NULL,
    proxyport    integer NOT NULL,
    suspecttimes text,
    starttime    timestamptz NOT NULL,
    iamalivetime timestamptz NOT NULL,
    PRIMARY KEY (deploymentid, address, port, generation)
);

-- Each function below first locks the cluster's version row, and only if it still holds the expected
-- version. So membership writes to one cluster run one at a time. The row change comes before the
-- version step, so a refused change returns false before anything is written. No exception handler or
-- ASSERT is needed for the rollback.
CREATE FUNCTION hd_orleans_insert_member(
    p_deployment text, p_address text, p_port integer, p_generation integer, p_silo_name text,
    p_host_name text, p_status integer, p_proxy_port integer, p_start_time timestamptz,
    p_i_am_alive_time timestamptz, p_version integer) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM orleansmembershipversiontable
        WHERE deploymentid = p_deployment AND version = p_version
        FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    INSERT INTO orleansmembershiptable
        (deploymentid, address, port, generation, siloname, hostname, status, proxyport, starttime, iamalivetime)
    VALUES
        (p_deployment, p_address, p_port, p_generation, p_silo_name, p_host_name, p_status, p_proxy_port,
         p_start_time, p_i_am_alive_time)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN false; -- this silo incarnation is already in the table
    END IF;

    UPDATE orleansmembershipversiontable SET version = version + 1, timestamp = now()
        WHERE deploymentid = p_deployment;
    RETURN true;
END
$$;

CREATE FUNCTION hd_orleans_update_member(
    p_deployment text, p_address text, p_port integer, p_generation integer, p_status integer,
    p_suspect_times text, p_i_am_alive_time timestamptz, p_version integer) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM orleansmembershipversiontable
        WHERE deploymentid = p_deployment AND version = p_version
        FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    -- An empty vote list is stored as NULL, the same as no list, so the captured-row cleanup below
    -- matches either one.
    UPDATE orleansmembershiptable
        SET status = p_status, suspecttimes = nullif(p_suspect_times, ''), iamalivetime = p_i_am_alive_time
        WHERE deploymentid = p_deployment AND address = p_address AND port = p_port AND generation = p_generation;
    IF NOT FOUND THEN
        RETURN false; -- the row is gone (cleaned up or deleted)
    END IF;

    UPDATE orleansmembershipversiontable SET version = version + 1, timestamp = now()
        WHERE deploymentid = p_deployment;
    RETURN true;
END
$$;

-- Each query's comment lists the @parameters the provider binds (RelationalOrleansQueries, 10.4.2)
-- and the columns it reads back.
INSERT INTO orleansquery (querykey, querytext) VALUES
-- DeploymentId -> one column, true when this call created the cluster's version row. Every silo sends
-- it at start. Only the first one creates the row.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO orleansmembershipversiontable (deploymentid) VALUES (@DeploymentId)
    ON CONFLICT (deploymentid) DO NOTHING
    RETURNING 1)
SELECT count(*) AS created FROM created
$q$),
-- DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime,
-- IAmAliveTime, Version -> one column, true if inserted.
('InsertMembershipKey', $q$
SELECT hd_orleans_insert_member(@DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
    @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS inserted
$q$),
-- DeploymentId, Address, Port, Generation, Status, SuspectTimes, IAmAliveTime, Version -> one column,
-- true if updated.
('UpdateMembershipKey', $q$
SELECT hd_orleans_update_member(@DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes,
    @IAmAliveTime, @Version) AS updated
$q$),
-- DeploymentId, Address, Port, Generation, IAmAliveTime -> nothing read. This is the silo's own
-- heartbeat: one row, and no version step.
('UpdateIAmAlivetimeKey', $q$
UPDATE orleansmembershiptable SET iamalivetime = @IAmAliveTime
WHERE deploymentid = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
$q$),
-- DeploymentId, Address, Port, Generation -> Address, Port, Generation, SiloName, HostName, Status,
-- ProxyPort, SuspectTimes, StartTime, IAmAliveTime, Version. The version row always comes back, with
-- NULL silo columns when the silo has no row: Orleans takes the table version from the first row, and
-- a NULL StartTime means "no entry".
('MembershipReadRowKey', $q$
SELECT m.address, m.port, m.generation, m.siloname, m.hostname, m.status, m.proxyport, m.suspecttimes,
       m.starttime, m.iamalivetime, v.version
FROM orleansmembershipversiontable v
LEFT JOIN orleansmembershiptable m
       ON m.deploymentid = v.deploymentid
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deploymentid = @DeploymentId
$q$),
-- DeploymentId -> the same columns, one row per silo. The snapshot is one statement's, so the rows and
-- the version match.
('MembershipReadAllKey', $q$
SELECT m.address, m.port, m.generation, m.siloname, m.hostname, m.status, m.proxyport, m.suspecttimes,
       m.starttime, m.iamalivetime, v.version
FROM orleansmembershipversiontable v
LEFT JOIN orleansmembershiptable m ON m.deploymentid = v.deploymentid
WHERE v.deploymentid = @DeploymentId
$q$),
-- DeploymentId, Status (always 3, Active) -> Address, ProxyPort, Generation. Clients use this to find
-- gateways.
('GatewaysQueryKey', $q$
SELECT address, proxyport, generation
FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId AND status = @Status AND proxyport > 0
$q$),
-- DeploymentId -> nothing read. Drops the whole cluster table. Its silo rows go by ON DELETE CASCADE.
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleansmembershipversiontable WHERE deploymentid = @DeploymentId
$q$),
-- DeploymentId, IAmAliveTime (the cutoff) -> nothing read. 10.4.2 requires this key at start, but it
-- uses it only when CleanupDefunctSiloEntryKey is missing. It deletes Dead (6) rows that started and
-- last beat before the cutoff.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId AND status = 6
  AND iamalivetime < @IAmAliveTime AND starttime < @IAmAliveTime
$q$),
-- Optional in 10.4.2, and used instead of the key above when present. Orleans reads the table, picks
-- the Dead rows older than the cutoff with no newer suspicion vote, and sends this once per row:
-- DeploymentId, Address, Port, Generation, StartTime, IAmAliveTime, SuspectTimes, all as read.
-- The row is deleted only if it is unchanged since that read. No version step.
('CleanupDefunctSiloEntryKey', $q$
DELETE FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
  AND status = 6 AND starttime = @StartTime AND iamalivetime = @IAmAliveTime
  AND coalesce(suspecttimes, '') = coalesce(@SuspectTimes, '')
$q$);

-- Reminders -----------------------------------------------------------------------------------------
-- A reminder is keyed by service, grain and name. Its version is its ETag: an upsert always succeeds and
-- returns the new version, and a delete applies only with the current one. GrainHash is the grain's
-- uniform hash as a signed int. Each silo reads the reminders in its hash range.
CREATE TABLE orleansreminderstable (
    serviceid    text NOT NULL,
    grainid      text NOT NULL,
    remindername text NOT NULL,
    starttime    timestamptz NOT NULL,
    period       bigint NOT NULL, -- milliseconds. Orleans binds an integer, or a bigint past 2^31 ms.
    grainhash    integer NOT NULL,
    version      integer NOT NULL,
    PRIMARY KEY (serviceid, grainid, remindername)
);
CREATE INDEX orleansreminderstable_by_hash ON orleansreminderstable (serviceid, grainhash);

INSERT INTO orleansquery (querykey, querytext) VALUES
-- ServiceId, GrainHash, GrainId, ReminderName, StartTime, Period -> Version (the new ETag).
('UpsertReminderRowKey', $q$
INSERT INTO orleansreminderstable (serviceid, grainid, remindername, starttime, period, grainhash, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (serviceid, grainid, remindername) DO UPDATE
    SET starttime = excluded.starttime, period = excluded.period, grainhash = excluded.grainhash,
        version = orleansreminderstable.version + 1
RETURNING version
$q$),
-- ServiceId, GrainId -> GrainId, ReminderName, StartTime, Period, Version for each of the grain's
-- reminders.
('ReadReminderRowsKey', $q$
SELECT grainid, remindername, starttime, period, version
FROM orleansreminderstable
WHERE serviceid = @ServiceId AND grainid = @GrainId
$q$),
-- ServiceId, GrainId, ReminderName -> the same columns, zero or one row.
('ReadReminderRowKey', $q$
SELECT grainid, remindername, starttime, period, version
FROM orleansreminderstable
WHERE serviceid = @ServiceId AND grainid = @GrainId AND remindername = @ReminderName
$q$),
-- ServiceId, BeginHash, EndHash -> the same columns for hashes in (BeginHash, EndHash]. Orleans sends
-- this one when BeginHash < EndHash as signed ints...
('ReadRangeRows1Key', $q$
SELECT grainid, remindername, starttime, period, version
FROM orleansreminderstable
WHERE serviceid = @ServiceId AND grainhash > @BeginHash AND grainhash <= @EndHash
$q$),
-- ...and this one otherwise, when the range wraps past the top of the ring (BeginHash = EndHash is
-- the whole ring).
('ReadRangeRows2Key', $q$
SELECT grainid, remindername, starttime, period, version
FROM orleansreminderstable
WHERE serviceid = @ServiceId AND (grainhash > @BeginHash OR grainhash <= @EndHash)
$q$),
-- ServiceId, GrainId, ReminderName, Version -> one column, true if this ETag's row was deleted.
('DeleteReminderRowKey', $q$
WITH deleted AS (
    DELETE FROM orleansreminderstable
    WHERE serviceid = @ServiceId AND grainid = @GrainId AND remindername = @ReminderName
      AND version = @Version
    RETURNING 1)
SELECT count(*) AS deleted FROM deleted
$q$),
-- ServiceId -> nothing read (tests only: clears the service's reminders).
('DeleteReminderRowsKey', $q$
DELETE FROM orleansreminderstable WHERE serviceid = @ServiceId
$q$);

-- Grain storage -------------------------------------------------------------------------------------
-- A grain's state is found by its key split the way AdoNetGrainStorage binds it: GrainIdHash and
-- GrainTypeHash (computed by Orleans' hasher), GrainIdN0/N1 (a Guid or integer key, else 0),
-- GrainIdExtensionString (a key extension, or the whole string key, or NULL), GrainTypeString and
-- ServiceId. The hashes narrow the search, and the full key decides the match.
-- Version is the ETag. A write names the version it read (@GrainStateVersion, NULL for none). The
-- query returns the new version, or no row / NULL / the same version, which the provider treats as a
-- conflict (InconsistentStateException).
-- The unique key makes a second first write (two activations, both with no ETag) conflict instead of
-- adding a duplicate row. A duplicate would make every later read of that grain fail.
CREATE TABLE orleansstorage (
    grainidhash            integer NOT NULL,
    grainidn0              bigint NOT NULL,
    grainidn1              bigint NOT NULL,
    graintypehash          integer NOT NULL,
    graintypestring        text NOT NULL,
    grainidextensionstring text,
    serviceid              text NOT NULL,
    payloadbinary          bytea, -- NULL once cleared: the row keeps its version for the next write
    modifiedon             timestamptz NOT NULL DEFAULT now(),
    version                integer NOT NULL,
    CONSTRAINT orleansstorage_one_per_grain UNIQUE NULLS NOT DISTINCT
        (grainidhash, graintypehash, grainidn0, grainidn1, serviceid, graintypestring, grainidextensionstring)
);
-- Grain state is rewritten on every WriteStateAsync. The update changes no indexed column, so with room
-- on the page it stays a HOT update (as in 0005).
ALTER TABLE orleansstorage SET (fillfactor = 80);

-- Each of the four queries binds GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString,
-- GrainIdExtensionString, ServiceId. The three writes also bind GrainStateVersion. The
-- extension is compared with IS NOT DISTINCT FROM (NULL = no extension). The other six columns
-- are equalities that use the unique index.
INSERT INTO orleansquery (querykey, querytext) VALUES
-- + PayloadBinary -> NewGrainStateVersion. With a version: the row moves on if it still has that
-- version. Without one: the row is created at version 1 unless it already exists.
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE orleansstorage
    SET payloadbinary = @PayloadBinary, version = version + 1, modifiedon = now()
    WHERE grainidhash = @GrainIdHash AND graintypehash = @GrainTypeHash
      AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1
      AND serviceid = @ServiceId AND graintypestring = @GrainTypeString
      AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
      AND version = @GrainStateVersion
    RETURNING version),
inserted AS (
    INSERT INTO orleansstorage (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring,
                                grainidextensionstring, serviceid, payloadbinary, version)
    SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
           @GrainIdExtensionString, @ServiceId, @PayloadBinary, 1
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version)
SELECT version AS newgrainstateversion FROM updated
UNION ALL
SELECT version FROM inserted
$q$),
-- -> PayloadBinary, Version. No row: no state, and no ETag. A cleared row (NULL payload) still
-- carries its version.
('ReadFromStorageKey', $q$
SELECT payloadbinary, version
FROM orleansstorage
WHERE grainidhash = @GrainIdHash AND graintypehash = @GrainTypeHash
  AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1
  AND serviceid = @ServiceId AND graintypestring = @GrainTypeString
  AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
$q$),
-- -> the new version (first column). The payload goes and the row stays, so the version keeps counting.
('ClearStorageKey', $q$
UPDATE orleansstorage
SET payloadbinary = NULL, version = version + 1, modifiedon = now()
WHERE grainidhash = @GrainIdHash AND graintypehash = @GrainTypeHash
  AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1
  AND serviceid = @ServiceId AND graintypestring = @GrainTypeString
  AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
  AND version = @GrainStateVersion
RETURNING version AS newgrainstateversion
$q$),
-- Optional: used instead of ClearStorageKey when DeleteStateOnClear = true. It deletes the row and
-- returns its version + 1, which the provider needs to see the delete as applied (it then drops the ETag).
('DeleteStorageKey', $q$
DELETE FROM orleansstorage
WHERE grainidhash = @GrainIdHash AND graintypehash = @GrainTypeHash
  AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1
  AND serviceid = @ServiceId AND graintypestring = @GrainTypeString
  AND grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
  AND version = @GrainStateVersion
RETURNING version + 1 AS newgrainstateversion
$q$);
