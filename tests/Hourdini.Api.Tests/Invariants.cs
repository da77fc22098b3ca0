using Hourdini.Grains.Sessions;
using Npgsql;

namespace Hourdini.Api.Tests;

/// <summary>The core's invariants, checked from the database alone (R1, R3, R6).</summary>
public static class Invariants
{
    public static async Task AssertAsync(NpgsqlConnection db, Guid userId, int expectedSessions)
    {
        // R3: no two active intervals of the user overlap.
        Assert.Equal(0L, await ScalarAsync<long>(db,
            """
            SELECT count(*) FROM beats a JOIN beats b
              ON a.org_id = b.org_id AND a.user_id = b.user_id AND (a.session_id, a.seq) < (b.session_id, b.seq)
            WHERE a.user_id = $1 AND a.kind = 'active' AND b.kind = 'active'
              AND tstzrange(a.started_at, a.ended_at, '[)') && tstzrange(b.started_at, b.ended_at, '[)')
            """, userId));

        // R3: at most one open active beat, in an open session, and never beside a running timer.
        Assert.True(await ScalarAsync<long>(db,
            "SELECT count(*) FROM beats WHERE user_id = $1 AND kind = 'active' AND ended_at IS NULL", userId) <= 1);
        Assert.Equal(0L, await ScalarAsync<long>(db,
            """
            SELECT count(*) FROM beats b JOIN sessions s ON s.org_id = b.org_id AND s.id = b.session_id
            WHERE b.user_id = $1 AND b.kind = 'active' AND b.ended_at IS NULL
              AND (s.stopped_at IS NOT NULL
                   OR EXISTS (SELECT 1 FROM user_tracking u WHERE u.org_id = b.org_id AND u.user_id = b.user_id AND u.timer_started_at IS NOT NULL))
            """, userId));

        // R1: every session's beats tile its lifetime.
        await using var command = new NpgsqlCommand(
            """
            SELECT s.id, s.started_at, s.stopped_at, b.kind, b.started_at, b.ended_at
            FROM sessions s JOIN beats b ON b.org_id = s.org_id AND b.session_id = s.id
            WHERE s.user_id = $1 ORDER BY s.id, b.seq
            """, db);
        command.Parameters.AddWithValue(userId);
        var timelines = new Dictionary<Guid, (DateTimeOffset Start, DateTimeOffset? Stop, List<Beat> Beats)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var id = reader.GetGuid(0);
                if (!timelines.TryGetValue(id, out var timeline))
                {
                    timelines[id] = timeline = (reader.GetFieldValue<DateTimeOffset>(1),
                        reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2), []);
                }

                BeatKinds.TryParse(reader.GetString(3), out var kind);
                timeline.Beats.Add(new Beat(kind, reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5)));
            }
        }

        Assert.Equal(expectedSessions, timelines.Count);
        Assert.All(timelines.Values, t => Assert.True(Timeline.Tiles(t.Beats, t.Start, t.Stop), "beats must tile the session"));
    }

    /// <param name="allStopped">The test ended every session: none may be left open.</param>
    public static async Task AssertOneEntryPerBillableSessionAsync(NpgsqlConnection db, Guid userId, bool allStopped = true)
    {
        // R6: a stopped session has an entry exactly when it had a billable second, and it bills exactly that.
        Assert.Equal(0L, await ScalarAsync<long>(db,
            """
            WITH billed AS (
                SELECT s.id, s.entry_id,
                       floor(sum(extract(epoch FROM b.ended_at - b.started_at) * 1000)
                             FILTER (WHERE b.kind = 'active' OR (b.kind = 'agent' AND s.bill_agent_time)) / 1000) AS seconds
                FROM sessions s JOIN beats b ON b.org_id = s.org_id AND b.session_id = s.id
                WHERE s.user_id = $1 AND s.stopped_at IS NOT NULL GROUP BY s.id, s.entry_id)
            SELECT count(*) FROM billed
            LEFT JOIN time_entries e ON e.session_id = billed.id
            WHERE (coalesce(billed.seconds, 0) > 0) <> (e.id IS NOT NULL)
               OR e.duration_seconds <> billed.seconds OR e.id IS DISTINCT FROM billed.entry_id
            """, userId));
        if (allStopped)
        {
            Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM sessions WHERE user_id = $1 AND stopped_at IS NULL", userId));
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection db, string sql, Guid userId)
    {
        await using var command = new NpgsqlCommand(sql, db);
        command.Parameters.AddWithValue(userId);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default! : (T)value;
    }
}
