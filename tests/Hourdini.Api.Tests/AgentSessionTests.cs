using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Hourdini.Grains.Common;
using Hourdini.Grains.Sessions;
using Hourdini.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Hourdini.Api.Tests;

/// <summary>Agents start and drive their own work sessions (R8, R11–R14, R16).</summary>
public class AgentSessionTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task An_agent_starts_its_own_session_with_an_agent_beat_and_pulls_its_updates_once()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Agent work", billAgentTime: true);
        var (agentId, agent) = await human.CreateAgentAsync();
        await human.PostAsync($"/api/v1/projects/{project}/tasks", new { title = "Fix the build", assignee_agent_id = agentId });
        await human.PostAsync($"/api/v1/projects/{project}/tasks", new { title = "Someone else's" });
        (await human.PostAsync($"/api/v1/agents/{agentId}/messages", new { text = "Use the staging DB" })).Expect(HttpStatusCode.Created);

        var started = (await agent.PostAsync("/api/v1/sessions", new
        {
            project_name = "agent",
            description = "nightly",
            environment = new { os = "linux", tools = new[] { "python", "git" } },
        })).Expect(HttpStatusCode.Created);

        var session = started["session"];
        Assert.Equal("agent", session.CurrentBeat()); // R2
        Assert.Equal(agentId, session.Str("agent_id"));
        Assert.Equal("started", session.Str("status"));
        Assert.Equal("Fix the build", Assert.Single(started["updates"].GetProperty("tasks").EnumerateArray()).Str("title")); // R12
        Assert.Equal("Use the staging DB", Assert.Single(started["updates"].GetProperty("messages").EnumerateArray()).Str("text"));
        var metadata = session.GetProperty("metadata");
        Assert.Equal((1, 1), (metadata.GetProperty("pull_summary").GetProperty("tasks_new").GetInt32(), metadata.GetProperty("pull_summary").GetProperty("messages").GetInt32()));
        Assert.Equal("linux", metadata.GetProperty("environment").Str("os"));

        // R4: the agent's session does not take the human's focus.
        Assert.Equal(JsonValueKind.Null, (await human.GetAsync("/api/v1/me/focus"))["focus"].ValueKind);

        // Pulled exactly once: nothing is new until something new arrives.
        var again = (await agent.GetAsync($"/api/v1/agents/{agentId}/updates")).Expect(HttpStatusCode.OK);
        Assert.Empty(again["tasks"].EnumerateArray());
        Assert.Empty(again["messages"].EnumerateArray());
        await human.PostAsync($"/api/v1/agents/{agentId}/messages", new { text = "also: tests" });
        Assert.Single((await agent.GetAsync($"/api/v1/agents/{agentId}/updates"))["messages"].EnumerateArray());
        Assert.Empty((await agent.GetAsync($"/api/v1/agents/{agentId}/updates"))["messages"].EnumerateArray());
        (await human.GetAsync($"/api/v1/agents/{agentId}/updates")).ExpectProblem(HttpStatusCode.Forbidden, "agent_token_required");

        var me = (await agent.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        Assert.Equal(agentId, me["agent"].Str("id"));
    }

    [Fact]
    public async Task A_start_that_fails_validation_creates_nothing() // R11
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await human.CreateClientAsync();
        var project = await human.CreateProjectAsync(client, "Live");
        var archived = await human.CreateProjectAsync(client, "Old");
        await human.SendAsync(HttpMethod.Patch, $"/api/v1/projects/{archived}", new { archived = true });
        var (agentId, agent) = await human.CreateAgentAsync();
        await human.PostAsync($"/api/v1/agents/{agentId}/messages", new { text = "waiting for you" });

        (await agent.PostAsync("/api/v1/sessions", new { })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        (await agent.PostAsync("/api/v1/sessions", new { project_name = "nope" })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await agent.PostAsync("/api/v1/sessions", new { project_id = archived })).ExpectProblem(HttpStatusCode.Conflict, "project_archived");
        (await agent.PostAsync("/api/v1/sessions", new { project_id = project, environment = new[] { 1 } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        (await human.SendAsync(HttpMethod.Patch, $"/api/v1/agents/{agentId}", new { status = "disabled" })).Expect(HttpStatusCode.OK);
        (await agent.PostAsync("/api/v1/sessions", new { project_id = project })).ExpectProblem(HttpStatusCode.Forbidden, "agent_disabled");
        (await agent.GetAsync($"/api/v1/agents/{agentId}/updates")).ExpectProblem(HttpStatusCode.Forbidden, "agent_disabled");

        Assert.Empty((await human.GetAsync("/api/v1/sessions"))["sessions"].EnumerateArray());
        (await human.SendAsync(HttpMethod.Patch, $"/api/v1/agents/{agentId}", new { status = "active" })).Expect(HttpStatusCode.OK);
        var started = (await agent.PostAsync("/api/v1/sessions", new { project_id = project })).Expect(HttpStatusCode.Created);
        Assert.Single(started["updates"].GetProperty("messages").EnumerateArray()); // the failed starts pulled nothing
    }

    [Fact]
    public async Task Two_concurrent_starts_by_one_agent_yield_exactly_one_session() // R8
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Race");
        var (_, agent) = await human.CreateAgentAsync();

        var replies = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => agent.PostAsync("/api/v1/sessions", new { project_id = project })));

        Assert.Single(replies, r => r.Status == HttpStatusCode.Created);
        Assert.All(replies.Where(r => r.Status != HttpStatusCode.Created), r => r.ExpectProblem(HttpStatusCode.Conflict, "agent_session_open"));
        Assert.Single((await human.GetAsync("/api/v1/sessions?status=open"))["sessions"].EnumerateArray());

        // After stopping it, the agent may start again.
        var open = replies.Single(r => r.Status == HttpStatusCode.Created)["session"].Str("id");
        (await agent.PostAsync($"/api/v1/sessions/{open}/end")).Expect(HttpStatusCode.OK);
        (await agent.PostAsync("/api/v1/sessions", new { project_id = project })).Expect(HttpStatusCode.Created);
    }

    [Fact]
    public async Task An_agent_cannot_touch_another_agents_or_another_orgs_session()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Shared");
        var (_, alpha) = await human.CreateAgentAsync("alpha");
        var (betaId, beta) = await human.CreateAgentAsync("beta");
        var (stranger, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        await stranger.CreateProjectAsync(await stranger.CreateClientAsync(), "Elsewhere");
        var (_, foreignAgent) = await stranger.CreateAgentAsync("foreign");
        var alphaSession = (await alpha.PostAsync("/api/v1/sessions", new { project_id = project })).Expect(HttpStatusCode.Created)["session"].Str("id");
        var humanSession = (await human.StartSessionAsync(project)).Str("id");

        foreach (var (intruder, session) in new[] { (beta, alphaSession), (foreignAgent, alphaSession), (beta, humanSession) })
        {
            (await intruder.GetAsync($"/api/v1/sessions/{session}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
            (await intruder.PostAsync($"/api/v1/sessions/{session}/beat", new { kind = "idle" })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
            (await intruder.PostAsync($"/api/v1/sessions/{session}/events", new { type = "log", message = "x" })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
            (await intruder.PostAsync($"/api/v1/sessions/{session}/heartbeat")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
            (await intruder.PostAsync($"/api/v1/sessions/{session}/end")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        }

        (await foreignAgent.PostAsync("/api/v1/sessions", new { project_id = project })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await foreignAgent.GetAsync($"/api/v1/agents/{betaId}/updates")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await alpha.PostAsync("/api/v1/clients", new { name = "x", currency = "EUR", default_rate = 1 })).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");
        (await alpha.PostAsync("/api/v1/agents", new { name = "spawn" })).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");
        Assert.Equal("agent", (await human.GetSessionAsync(alphaSession)).CurrentBeat());
        Assert.Empty((await beta.GetAsync("/api/v1/sessions"))["sessions"].EnumerateArray());
        Assert.Equal(alphaSession, Assert.Single((await alpha.GetAsync("/api/v1/sessions"))["sessions"].EnumerateArray()).Str("id"));
    }

    [Fact]
    public async Task Logs_task_changes_and_beats_build_the_timeline_in_order() // R13, R14, R16
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Timeline", billAgentTime: true);
        var (agentId, agent) = await human.CreateAgentAsync();
        var task = (await human.PostAsync($"/api/v1/projects/{project}/tasks", new { title = "Ship", assignee_agent_id = agentId }))["task"].Str("id");
        var unassigned = (await human.PostAsync($"/api/v1/projects/{project}/tasks", new { title = "Not yours" }))["task"].Str("id");
        var session = (await agent.PostAsync("/api/v1/sessions", new { project_id = project })).Expect(HttpStatusCode.Created)["session"].Str("id");

        var logged = (await agent.PostAsync($"/api/v1/sessions/{session}/events", new { type = "log", message = "reading the code", task_id = task }))
            .Expect(HttpStatusCode.Created)["event"];
        Assert.Equal(("log", 2), (logged.Str("type"), logged.GetProperty("seq").GetInt32()));
        Assert.Equal("logging", (await agent.GetSessionAsync(session)).Str("status")); // R13: the first event after start
        (await agent.PostAsync($"/api/v1/sessions/{session}/events", new { type = "log", message = "plain note" })).Expect(HttpStatusCode.Created);
        (await agent.PostAsync($"/api/v1/sessions/{session}/events", new { type = "log", message = "x", task_id = Guid.NewGuid() }))
            .ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await agent.PostAsync($"/api/v1/sessions/{session}/events", new { type = "shout", message = "x" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");

        var done = (await agent.SendAsync(HttpMethod.Patch, $"/api/v1/tasks/{task}", new { status = "done" })).Expect(HttpStatusCode.OK)["task"];
        await Task.Delay(20);
        var again = (await agent.SendAsync(HttpMethod.Patch, $"/api/v1/tasks/{task}", new { status = "done" })).Expect(HttpStatusCode.OK)["task"];
        Assert.Equal(done.Str("updated_at"), again.Str("updated_at")); // the same update again changes nothing, not even the time, and joins no timeline
        (await agent.SendAsync(HttpMethod.Patch, $"/api/v1/tasks/{unassigned}", new { status = "done" })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await agent.SendAsync(HttpMethod.Patch, $"/api/v1/tasks/{task}", new { title = "renamed" })).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");
        (await agent.PostAsync($"/api/v1/sessions/{session}/heartbeat")).Expect(HttpStatusCode.NoContent);
        await agent.BeatAsync(session, "idle");

        var live = await agent.GetSessionAsync(session);
        Assert.Equal([task], live.GetProperty("tasks_worked_on").EnumerateArray().Select(t => t.GetString())); // R14
        Assert.Equal((2L, 1L), (live.Long("logs_count"), live.Long("tasks_completed"))); // R16

        var ended = (await agent.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK);
        (await agent.PostAsync($"/api/v1/sessions/{session}/heartbeat")).ExpectProblem(HttpStatusCode.Conflict, "session_stopped");
        (await agent.PostAsync($"/api/v1/sessions/{session}/events", new { type = "log", message = "late" })).ExpectProblem(HttpStatusCode.Conflict, "session_stopped");

        var events = (await human.GetAsync($"/api/v1/sessions/{session}/timeline"))["events"].EnumerateArray().ToList();
        Assert.Equal(["session_start", "log", "log", "task_status", "beat", "session_stop"], events.Select(e => e.Str("type")));
        Assert.Equal(Enumerable.Range(1, events.Count), events.Select(e => e.GetProperty("seq").GetInt32()));
        Assert.Equal(1, events[0].GetProperty("data").GetProperty("pull_summary").GetProperty("tasks_new").GetInt32()); // R13: start carries the pull summary
        var stop = events[^1].GetProperty("data");
        Assert.Equal(("ended", 2L, 1L), (stop.Str("reason"), stop.Long("logs_count"), stop.Long("tasks_completed")));
        Assert.Equal(ended["session"].Str("stopped_at"), events[^1].Str("at"));

        var page = (await human.GetAsync($"/api/v1/sessions/{session}/timeline?after=2&limit=2")).Expect(HttpStatusCode.OK);
        Assert.Equal([3, 4], page["events"].EnumerateArray().Select(e => e.GetProperty("seq").GetInt32()));
        Assert.Equal(4, page["next_after"].GetInt32());
    }

    [Fact]
    public async Task An_ended_session_leaves_memory_once_its_end_commits_and_still_reads_back_stopped() // R7; issue 6
    {
        var (human, _, signup) = await ApiClient.SignUpAsync(server.BaseAddress);
        var org = Guid.Parse(signup.GetProperty("org").Str("id"));
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Agent work", billAgentTime: true);
        var (_, agent) = await human.CreateAgentAsync();
        var session = (await agent.PostAsync("/api/v1/sessions", new { project_id = project })).Expect(HttpStatusCode.Created)["session"].Str("id");
        var grains = server.Services.GetRequiredService<IGrainFactory>();
        var sessionGrain = grains.GetGrain<ISessionGrain>(GrainKeys.For(org, Guid.Parse(session))).GetGrainId();
        async Task<bool> Active() =>
            (await grains.GetGrain<IManagementGrain>(0).GetActiveGrains(sessionGrain.Type)).Contains(sessionGrain);
        async Task<bool> GoneWithinASecond()
        {
            for (var attempt = 0; attempt < 50 && await Active(); attempt++)
            {
                await Task.Delay(20);
            }

            return !await Active();
        }

        Assert.True(await Active());

        (await agent.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK);

        // Gone once idle after its end (Orleans deactivates it right after the call), not at the idle timeout 15 minutes later.
        Assert.True(await GoneWithinASecond());

        // Read back from the database, it is the same stopped session, and it stays immutable.
        Assert.Equal("stopped", (await human.GetSessionAsync(session)).Str("status"));
        (await agent.PostAsync($"/api/v1/sessions/{session}/events", new { type = "log", message = "late" })).ExpectProblem(HttpStatusCode.Conflict, "session_stopped");
        Assert.True(await GoneWithinASecond());
    }

    [Fact]
    public async Task An_open_session_nobody_calls_leaves_memory_after_the_session_idle_timeout_and_reads_back_whole() // R15; issue 23
    {
        // A node whose sessions go after 2 idle seconds (2 minutes by default), collected every second; other grains keep 15 minutes.
        await using var node = new HourdiniServer();
        node.Settings["Hourdini:SessionIdleTimeout"] = "00:00:02";
        node.Settings["Hourdini:CollectionInterval"] = "00:00:01";
        await node.InitializeAsync();
        var (human, _, signup) = await ApiClient.SignUpAsync(node.BaseAddress);
        var org = Guid.Parse(signup.GetProperty("org").Str("id"));
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Agent work", billAgentTime: true);
        var (_, agent) = await human.CreateAgentAsync();
        var session = (await agent.StartSessionAsync(project, "waits on a long tool call")).Str("id");
        (await agent.PostAsync($"/api/v1/sessions/{session}/events", new { type = "log", message = "started the migration" })).Expect(HttpStatusCode.Created);
        await agent.BeatAsync(session, "idle");

        var grains = node.Services.GetRequiredService<IGrainFactory>();
        var sessionGrain = grains.GetGrain<ISessionGrain>(GrainKeys.For(org, Guid.Parse(session))).GetGrainId();
        async Task<bool> Active() =>
            (await grains.GetGrain<IManagementGrain>(0).GetActiveGrains(sessionGrain.Type)).Contains(sessionGrain);
        Assert.True(await Active());

        // Nobody calls it: within a few collection rounds the activation is gone, though the session is still open.
        for (var waited = 0; waited < 100 && await Active(); waited++)
        {
            await Task.Delay(100);
        }

        Assert.False(await Active(), "the idle open session still holds an activation 10 s after its last call");

        // Still open in the database, as it was left.
        var back = await human.GetSessionAsync(session);
        Assert.Equal(("logging", "idle"), (back.Str("status"), back.CurrentBeat()));

        // The agent comes back: a fresh activation reads the session whole (its log, its beats) and takes the next calls.
        Assert.Equal("agent", (await agent.BeatAsync(session, "agent")).CurrentBeat());
        Assert.True(await Active());
        var ended = (await agent.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK)["session"];
        Assert.Equal(1, ended.Long("logs_count"));
        Assert.Equal(["agent", "idle", "agent"], ended.GetProperty("beats").EnumerateArray().Select(b => b.Str("kind")));
    }

    [Fact]
    public async Task A_session_idle_timeout_no_longer_than_the_collection_interval_is_refused_at_start_naming_both_settings()
    {
        await using var node = new HourdiniServer();
        node.Settings["Hourdini:SessionIdleTimeout"] = "00:01:00";
        node.Settings["Hourdini:CollectionInterval"] = "00:01:00";
        var refused = await Assert.ThrowsAnyAsync<Exception>(node.InitializeAsync);
        Assert.Contains("Hourdini:SessionIdleTimeout (00:01:00) must be longer than Hourdini:CollectionInterval (00:01:00)",
            refused.ToString());
    }

    [Fact]
    public async Task A_person_who_hands_an_agents_session_back_to_it_holds_no_focus_and_may_start_the_timer() // R3, issue 23
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Hand back", billAgentTime: true);
        var (_, agent) = await human.CreateAgentAsync();
        var session = (await agent.StartSessionAsync(project, "agent work")).Str("id");

        // The person takes the agent's session over, then the agent's own beat hands it back: that beat leaves the
        // active beat, so it moves the person's focus and must go through the person's grain, not straight to the session.
        Assert.Equal("active", (await human.BeatAsync(session, "active")).CurrentBeat());
        Assert.Equal("agent", (await agent.BeatAsync(session, "agent")).CurrentBeat());

        Assert.Equal(JsonValueKind.Null, (await human.GetAsync("/api/v1/me/focus")).Expect(HttpStatusCode.OK)["focus"].ValueKind);
        (await human.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project })).Expect(HttpStatusCode.Created);
        Assert.Equal("agent", (await agent.BeatAsync(session, "agent")).CurrentBeat()); // and the agent carries on
    }

    [Fact]
    public async Task A_human_focusing_sessions_while_agents_beat_and_log_keeps_every_invariant()
    {
        var (human, _, signup) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await human.CreateClientAsync();
        var projects = new[] { await human.CreateProjectAsync(client, "Mixed A", billAgentTime: true), await human.CreateProjectAsync(client, "Mixed B") };
        var humanSessions = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            humanSessions.Add((await human.StartSessionAsync(projects[i % 2], $"h{i}")).Str("id"));
        }

        var agents = new List<(ApiClient Client, string Session)>();
        for (var i = 0; i < 3; i++)
        {
            var (_, agent) = await human.CreateAgentAsync($"agent {i}");
            agents.Add((agent, (await agent.PostAsync("/api/v1/sessions", new { project_id = projects[i % 2] })).Expect(HttpStatusCode.Created)["session"].Str("id")));
        }

        var failures = new ConcurrentBag<string>();
        var humanWork = Parallel.ForAsync(0, 150, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var random = new Random(i);
            var reply = await human.PostAsync(
                $"/api/v1/sessions/{humanSessions[random.Next(humanSessions.Count)]}/beat",
                new { kind = random.Next(3) == 0 ? "idle" : "active", previous = random.Next(2) == 0 ? "agent" : "idle" });
            if (reply.Status != HttpStatusCode.OK)
            {
                failures.Add($"human: {reply.Status} {reply.Body}");
            }
        });
        var agentWork = Parallel.ForAsync(0, 150, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var random = new Random(1000 + i);
            var (agent, session) = agents[random.Next(agents.Count)];
            var reply = random.Next(4) switch
            {
                0 => await agent.PostAsync($"/api/v1/sessions/{session}/events", new { type = "log", message = $"step {i}" }),
                1 => await agent.PostAsync($"/api/v1/sessions/{session}/heartbeat"),
                2 => await agent.PostAsync($"/api/v1/sessions/{session}/beat", new { kind = "active" }),
                _ => await agent.PostAsync($"/api/v1/sessions/{session}/beat", new { kind = random.Next(2) == 0 ? "agent" : "idle" }),
            };
            if (reply.Status is not (HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.NoContent)
                && !(reply.Status == HttpStatusCode.Forbidden && reply.Code == "agent_not_allowed")) // R21: an agent's active beat
            {
                failures.Add($"agent: {reply.Status} {reply.Body}");
            }
        });
        await Task.WhenAll(humanWork, agentWork);
        Assert.Empty(failures);

        var userId = Guid.Parse(signup.GetProperty("user").Str("id"));
        await using (var db = await server.OpenDatabaseAsync())
        {
            await Invariants.AssertAsync(db, userId, expectedSessions: 6);
        }

        foreach (var session in humanSessions.Concat(agents.Select(a => a.Session)))
        {
            (await human.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK);
        }

        await using (var db = await server.OpenDatabaseAsync())
        {
            await Invariants.AssertAsync(db, userId, expectedSessions: 6);
            await Invariants.AssertOneEntryPerBillableSessionAsync(db, userId);
        }
    }
}
