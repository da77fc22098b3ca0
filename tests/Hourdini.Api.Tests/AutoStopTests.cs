using System.Net;
using Hourdini.Grains.Agents;
using Hourdini.Grains.Common;
using Hourdini.Grains.Users;
using Hourdini.Silo.Agents;
using Hourdini.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Hourdini.Api.Tests;

/// <summary>R15: an agent that goes quiet is stopped by the server at the last time it was heard from.</summary>
public class AutoStopTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    private const int Lease = 5; // the shortest lease an org may set

    [Fact]
    public async Task A_crashed_agent_is_stopped_at_its_last_heard_time_within_the_lease_plus_five_seconds_and_billed_to_it()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        (await human.SendAsync(HttpMethod.Patch, "/api/v1/org", new { agent_lease_seconds = Lease })).Expect(HttpStatusCode.OK);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Crashy", billAgentTime: true);
        var (_, agent) = await human.CreateAgentAsync();
        var session = (await agent.PostAsync("/api/v1/sessions", new { project_id = project })).Expect(HttpStatusCode.Created)["session"].Str("id");

        await Task.Delay(1000);
        (await agent.PostAsync($"/api/v1/sessions/{session}/heartbeat")).Expect(HttpStatusCode.NoContent);
        await Task.Delay(1000);
        var before = DateTimeOffset.UtcNow;
        (await agent.PostAsync($"/api/v1/sessions/{session}/events", new { type = "log", message = "last words" })).Expect(HttpStatusCode.Created);
        var after = DateTimeOffset.UtcNow;

        // The agent crashes: it never calls again. The server stops the session on its own.
        var stopped = await WaitForStopAsync(human, session, TimeSpan.FromSeconds(Lease + 10));
        var observed = DateTimeOffset.UtcNow;

        var stoppedAt = DateTimeOffset.Parse(stopped.Str("stopped_at"));
        Assert.InRange(stoppedAt, before.AddMilliseconds(-5), after.AddMilliseconds(5));
        Assert.True(observed - after <= TimeSpan.FromSeconds(Lease + 5), $"stopped {observed - after} after the last call");

        // R6 up to that point: the whole session was agent time, billed because the project bills it.
        var startedAt = DateTimeOffset.Parse(stopped.Str("started_at"));
        var entry = (await human.GetAsync($"/api/v1/time-entries?source=session"))["time_entries"].EnumerateArray().Single();
        Assert.Equal((long)(stoppedAt - startedAt).TotalMilliseconds / 1000, entry.Long("duration_seconds"));
        Assert.Equal(stopped.Str("stopped_at"), entry.Str("ended_at"));

        var events = (await human.GetAsync($"/api/v1/sessions/{session}/timeline"))["events"].EnumerateArray().ToList();
        Assert.Equal(("session_stop", "auto_stopped"), (events[^1].Str("type"), events[^1].GetProperty("data").Str("reason")));

        // The agent, back from the dead, finds its session stopped and may start a new one (R8).
        (await agent.PostAsync($"/api/v1/sessions/{session}/heartbeat")).ExpectProblem(HttpStatusCode.Conflict, "session_stopped");
        (await agent.PostAsync("/api/v1/sessions", new { project_id = project })).Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_heartbeating_agent_is_never_stopped()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        (await human.SendAsync(HttpMethod.Patch, "/api/v1/org", new { agent_lease_seconds = Lease })).Expect(HttpStatusCode.OK);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Alive");
        var (_, agent) = await human.CreateAgentAsync();
        var session = (await agent.PostAsync("/api/v1/sessions", new { project_id = project })).Expect(HttpStatusCode.Created)["session"].Str("id");

        for (var i = 0; i < 8; i++)
        {
            await Task.Delay(1000);
            (await agent.PostAsync($"/api/v1/sessions/{session}/heartbeat")).Expect(HttpStatusCode.NoContent);
        }

        Assert.Equal("agent", (await human.GetSessionAsync(session)).CurrentBeat());
    }

    [Fact]
    public async Task An_agents_beat_or_log_renews_its_lease_at_that_moment_any_other_sign_of_life_too_and_a_persons_beat_does_not()
    {
        // R15: the lease runs from the last time the agent was heard from (any beat, log or heartbeat).
        var (human, agent, session) = await AgentSessionAsync("Leases");
        Assert.Equal(DateTimeOffset.Parse((await human.GetSessionAsync(session)).Str("started_at")), await LastHeardAsync(session));

        // A log right after a heartbeat still moves the lease to the log's own moment: it renews in the log's write.
        (await agent.PostAsync($"/api/v1/sessions/{session}/heartbeat")).Expect(HttpStatusCode.NoContent);
        var logged = (await agent.PostAsync($"/api/v1/sessions/{session}/events", new { type = "log", message = "hi" })).Expect(HttpStatusCode.Created);
        Assert.Equal(DateTimeOffset.Parse(logged["event"].Str("at")), await LastHeardAsync(session));

        var idle = await agent.BeatAsync(session, "idle");
        var beatAt = DateTimeOffset.Parse(idle.GetProperty("current_beat").Str("since"));
        Assert.Equal(beatAt, await LastHeardAsync(session));

        // The person taking the session over is not the agent being heard from.
        await Task.Delay(AgentLease.RenewEvery + TimeSpan.FromMilliseconds(100));
        Assert.Equal("active", (await human.BeatAsync(session, "active")).CurrentBeat());
        Assert.Equal(beatAt, await LastHeardAsync(session));

        // An agent's active beat is refused (R21) and changes nothing, yet the agent was heard.
        var before = DateTimeOffset.UtcNow.AddMilliseconds(-5);
        (await agent.PostAsync($"/api/v1/sessions/{session}/beat", new { kind = "active" })).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");
        Assert.Equal("active", (await human.GetSessionAsync(session)).CurrentBeat());
        var heard = await LastHeardAsync(session);
        Assert.True(heard >= before, $"the lease stayed at {heard:O}");

        // A beat that changes nothing (the session is already agent) is still heard.
        Assert.Equal("agent", (await agent.BeatAsync(session, "agent")).CurrentBeat());
        await Task.Delay(AgentLease.RenewEvery + TimeSpan.FromMilliseconds(100));
        before = DateTimeOffset.UtcNow.AddMilliseconds(-5);
        Assert.Equal("agent", (await agent.BeatAsync(session, "agent")).CurrentBeat());
        heard = await LastHeardAsync(session);
        Assert.True(heard >= before, $"the lease stayed at {heard:O}");

        // A refused call is a sign of life too.
        await Task.Delay(AgentLease.RenewEvery + TimeSpan.FromMilliseconds(100));
        before = DateTimeOffset.UtcNow.AddMilliseconds(-5);
        (await agent.PostAsync($"/api/v1/sessions/{session}/events", new { type = "log", message = "x", task_id = Guid.NewGuid() }))
            .ExpectProblem(HttpStatusCode.NotFound, "not_found");
        heard = await LastHeardAsync(session);
        Assert.True(heard >= before, $"the lease stayed at {heard:O}");
    }

    [Fact]
    public async Task An_agents_call_refused_for_its_rate_is_a_sign_of_life_too()
    {
        // R15: the lease runs from the last time the agent was heard from; a call over its rate limit is still the agent
        // being heard, so an agent that is only throttled is never auto-stopped for it.
        var (_, agent, session) = await AgentSessionAsync("Throttled");
        await using var node = await HourdiniServer.StartNodeAsync(server.ConnectionString, new()
        {
            ["Hourdini:Limits:PerCallerPerSecond"] = "1",
            ["Hourdini:Limits:PerCallerBurst"] = "1",
        });
        using var throttled = ApiClient.WithToken(node.BaseAddress, agent.Http.DefaultRequestHeaders.Authorization!.Parameter!);

        // A call every 600 ms against one per second: each comes after the renewal interval, and one soon finds the bucket empty.
        for (var call = 0; call < 10; call++)
        {
            await Task.Delay(AgentLease.RenewEvery + TimeSpan.FromMilliseconds(100));
            var before = DateTimeOffset.UtcNow.AddMilliseconds(-5);
            var reply = await throttled.PostAsync($"/api/v1/sessions/{session}/heartbeat");
            if (reply.Status == HttpStatusCode.TooManyRequests)
            {
                reply.ExpectProblem(HttpStatusCode.TooManyRequests, "rate_limited");
                var heard = await LastHeardAsync(session);
                Assert.True(heard >= before, $"the lease stayed at {heard:O} though the agent called at {before:O}");
                return;
            }

            reply.Expect(HttpStatusCode.NoContent);
        }

        Assert.Fail("ten calls at 1.7 a second never met the limit of one a second");
    }

    /// <summary>A new account whose agent has started a session on a new project.</summary>
    private async Task<(ApiClient Human, ApiClient Agent, string Session)> AgentSessionAsync(string projectName)
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), projectName);
        var (_, agent) = await human.CreateAgentAsync();
        return (human, agent, (await agent.StartSessionAsync(project)).Str("id"));
    }

    private async Task<DateTimeOffset?> LastHeardAsync(string session)
    {
        await using var db = await server.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand("SELECT last_heard_at FROM sessions WHERE id = $1", db);
        command.Parameters.AddWithValue(Guid.Parse(session));
        return await command.ExecuteScalarAsync() as DateTime? is { } at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
    }

    [Fact]
    public async Task Two_nodes_sweeping_one_database_stop_each_expired_session_once_even_after_a_node_restart()
    {
        var database = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync();
        var manualSweeps = new Dictionary<string, string?> { ["Hourdini:AgentSweepInterval"] = "01:00:00" };
        var nodeA = await HourdiniServer.StartNodeAsync(database, manualSweeps);
        var nodeB = await HourdiniServer.StartNodeAsync(database, manualSweeps);
        HourdiniServer? restarted = null;
        try
        {
            var (human, _, signup) = await ApiClient.SignUpAsync(nodeA.BaseAddress);
            (await human.SendAsync(HttpMethod.Patch, "/api/v1/org", new { agent_lease_seconds = Lease })).Expect(HttpStatusCode.OK);
            var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Swept", billAgentTime: true);
            var sessions = new List<Guid>();
            var agents = new List<ApiClient>();
            for (var i = 0; i < 8; i++)
            {
                var (_, agent) = await human.CreateAgentAsync($"worker {i}");
                var viaNode = i % 2 == 0 ? agent : ApiClient.WithToken(nodeB.BaseAddress, agent.Http.DefaultRequestHeaders.Authorization!.Parameter!);
                sessions.Add(Guid.Parse((await viaNode.PostAsync("/api/v1/sessions", new { project_id = project })).Expect(HttpStatusCode.Created)["session"].Str("id")));
                agents.Add(viaNode);
            }

            // Each agent is heard from once more, a billable second in, then crashes.
            await Task.Delay(1100);
            for (var i = 0; i < agents.Count; i++)
            {
                (await agents[i].PostAsync($"/api/v1/sessions/{sessions[i]}/heartbeat")).Expect(HttpStatusCode.NoContent);
            }

            // Node A goes down with its activations; a fresh node takes its place after the leases ran out.
            await nodeA.DisposeAsync();
            await Task.Delay(TimeSpan.FromSeconds(Lease + 0.5));

            restarted = await HourdiniServer.StartNodeAsync(database, manualSweeps);

            // Both nodes stop the same session at once, bypassing the sweep's claim: one stop wins.
            var orgId = Guid.Parse(signup.GetProperty("org").Str("id"));
            var userKey = GrainKeys.For(orgId, Guid.Parse(signup.GetProperty("user").Str("id")));
            var race = await Task.WhenAll(new[] { nodeB, restarted }.Select(node =>
                node.Services.GetRequiredService<IGrainFactory>().GetGrain<IUserGrain>(userKey).AutoStopAsync(sessions[0], Lease)));
            Assert.Single(race, r => r is not null);

            // Then both sweep together until every session is stopped; together they stop each once.
            var total = 0;
            for (var round = 0; round < 10 && total < sessions.Count - 1; round++)
            {
                var swept = await Task.WhenAll(new[] { nodeB, restarted }.Select(node => node.Services.GetRequiredService<AgentAutoStop>().SweepOnceAsync(default)));
                total += swept.Sum();
            }

            Assert.Equal(sessions.Count - 1, total);
            await using var db = new NpgsqlConnection(database);
            await db.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                SELECT count(*) FILTER (WHERE s.stopped_at IS NOT NULL),
                       (SELECT count(*) FROM session_events e WHERE e.session_id = ANY($1) AND e.type = 'session_stop'),
                       (SELECT count(*) FROM time_entries t WHERE t.session_id = ANY($1))
                FROM sessions s WHERE s.id = ANY($1)
                """, db);
            command.Parameters.AddWithValue(sessions.ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.Equal((8L, 8L, 8L), (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)));
        }
        finally
        {
            await nodeB.DisposeAsync();
            if (restarted is not null)
            {
                await restarted.DisposeAsync();
            }
        }
    }

    private static async Task<System.Text.Json.JsonElement> WaitForStopAsync(ApiClient human, string session, TimeSpan within)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var current = await human.GetSessionAsync(session);
            if (current.Str("status") == "stopped")
            {
                return current;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"The session was not auto-stopped within {within}.");
    }
}
