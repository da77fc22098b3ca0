using System.Collections.Concurrent;
using System.Net;
using Hourdini.Grains.Sessions;
using Hourdini.Testing;
using Npgsql;

namespace Hourdini.Api.Tests;

/// <summary>
/// Hundreds of focus changes for one user, fired in parallel; afterwards the database alone must show
/// every rule held (R1, R3, R6).
/// </summary>
public class ConcurrencyTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task Parallel_focus_changes_never_overlap_active_time_and_beats_always_tile()
    {
        var (api, _, signup) = await ApiClient.SignUpAsync(server.BaseAddress);
        var userId = signup.GetProperty("user").Str("id");
        var client = await api.CreateClientAsync();
        var projects = new[] { await api.CreateProjectAsync(client, "P one", billAgentTime: true), await api.CreateProjectAsync(client, "P two") };
        var sessions = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            sessions.Add((await api.StartSessionAsync(projects[i % 2], $"s{i}")).Str("id"));
        }

        var kinds = new[] { "active", "active", "agent", "idle" };
        var previous = new[] { "idle", "agent", null };
        var statuses = new ConcurrentBag<HttpStatusCode>();
        await Parallel.ForAsync(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            var random = new Random(i);
            var reply = await api.PostAsync(
                $"/api/v1/sessions/{sessions[random.Next(sessions.Count)]}/beat",
                new { kind = kinds[random.Next(kinds.Length)], previous = previous[random.Next(previous.Length)] });
            statuses.Add(reply.Status);
        });
        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));

        await using (var db = await server.OpenDatabaseAsync())
        {
            await AssertInvariantsAsync(db, Guid.Parse(userId));
        }

        // Ending every session at once, while more focus changes arrive, keeps them too.
        var endings = sessions.Select(id => api.PostAsync($"/api/v1/sessions/{id}/end"));
        var moreBeats = sessions.Select(id => api.PostAsync($"/api/v1/sessions/{id}/beat", new { kind = "active" }));
        var results = await Task.WhenAll(endings.Concat(moreBeats));
        Assert.All(results, r => Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{r.Status}: {r.Body}"));
        Assert.All(results.Where(r => r.Status == HttpStatusCode.Conflict), r => Assert.Equal("session_stopped", r.Code));

        await using (var db = await server.OpenDatabaseAsync())
        {
            await AssertInvariantsAsync(db, Guid.Parse(userId));
            await AssertOneEntryPerBillableSessionAsync(db, Guid.Parse(userId));
        }
    }

    private static async Task AssertInvariantsAsync(NpgsqlConnection db, Guid userId)
    {
        // R3: no two active intervals of the user overlap.
        Assert.Equal(0L, await ScalarAsync<long>(db,
            """
            SELECT count(*) FROM beats a JOIN beats b
              ON a.org_id = b.org_id AND a.user_id = b.user_id AND (a.session_id, a.seq) < (b.session_id, b.seq)
            WHERE a.user_id = $1 AND a.kind = 'active' AND b.kind = 'active'
              AND tstzrange(a.started_at, a.ended_at, '[)') && tstzrange(b.started_at, b.ended_at, '[)')
            """, userId));

        // R3: the focused session is exactly the one whose open beat is active.
        var focused = await ScalarAsync<Guid?>(db, "SELECT focused_session_id FROM user_tracking WHERE user_id = $1", userId);
        var openActive = await ScalarAsync<Guid?>(db,
            "SELECT session_id FROM beats WHERE user_id = $1 AND kind = 'active' AND ended_at IS NULL", userId);
        Assert.Equal(openActive, focused);

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

        Assert.Equal(6, timelines.Count);
        Assert.All(timelines.Values, t => Assert.True(Timeline.Tiles(t.Beats, t.Start, t.Stop), "beats must tile the session"));
    }

    private static async Task AssertOneEntryPerBillableSessionAsync(NpgsqlConnection db, Guid userId)
    {
        // R6: a stopped session has an entry exactly when it had a billable second, and it bills exactly that.
        Assert.Equal(0L, await ScalarAsync<long>(db,
            """
            WITH billed AS (
                SELECT s.id, s.entry_id,
                       floor(sum(extract(epoch FROM b.ended_at - b.started_at) * 1000)
                             FILTER (WHERE b.kind = 'active' OR (b.kind = 'agent' AND s.bill_agent_time)) / 1000) AS seconds
                FROM sessions s JOIN beats b ON b.org_id = s.org_id AND b.session_id = s.id
                WHERE s.user_id = $1 GROUP BY s.id, s.entry_id)
            SELECT count(*) FROM billed
            LEFT JOIN time_entries e ON e.session_id = billed.id
            WHERE (coalesce(billed.seconds, 0) > 0) <> (e.id IS NOT NULL)
               OR e.duration_seconds <> billed.seconds OR e.id IS DISTINCT FROM billed.entry_id
            """, userId));
        Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM sessions WHERE user_id = $1 AND stopped_at IS NULL", userId));
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection db, string sql, Guid userId)
    {
        await using var command = new NpgsqlCommand(sql, db);
        command.Parameters.AddWithValue(userId);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default! : (T)value;
    }
}
