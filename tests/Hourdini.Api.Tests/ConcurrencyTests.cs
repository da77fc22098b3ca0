using System.Collections.Concurrent;
using System.Net;
using Hourdini.Testing;

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
            await Invariants.AssertAsync(db, Guid.Parse(userId), expectedSessions: 6);
        }

        // Ending every session at once, while more focus changes arrive, keeps them too.
        var endings = sessions.Select(id => api.PostAsync($"/api/v1/sessions/{id}/end"));
        var moreBeats = sessions.Select(id => api.PostAsync($"/api/v1/sessions/{id}/beat", new { kind = "active" }));
        var results = await Task.WhenAll(endings.Concat(moreBeats));
        Assert.All(results, r => Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{r.Status}: {r.Body}"));
        Assert.All(results.Where(r => r.Status == HttpStatusCode.Conflict), r => Assert.Equal("session_stopped", r.Code));

        await using (var db = await server.OpenDatabaseAsync())
        {
            await Invariants.AssertAsync(db, Guid.Parse(userId), expectedSessions: 6);
            await Invariants.AssertOneEntryPerBillableSessionAsync(db, Guid.Parse(userId));
        }
    }
}
