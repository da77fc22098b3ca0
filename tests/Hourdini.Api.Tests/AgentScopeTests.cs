using System.Net;
using System.Text.Json;
using Hourdini.Gateway.Auth;
using Hourdini.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hourdini.Api.Tests;

/// <summary>Agents do not take the human's place (R21) and read only what their own work needs (R22).</summary>
public class AgentScopeTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task An_agents_active_beat_is_refused_and_its_person_keeps_the_timer_and_the_focus() // R21
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Handover", billAgentTime: true);
        var (_, agent) = await human.CreateAgentAsync();
        var session = (await agent.StartSessionAsync(project, "agent run")).Str("id");
        var timer = (await human.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project, description = "hands-on" }))
            .Expect(HttpStatusCode.Created)["timer"].Str("id");

        foreach (var previous in new string?[] { null, "idle", "agent" })
        {
            (await agent.PostAsync($"/api/v1/sessions/{session}/beat", new { kind = "active", previous }))
                .ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");
        }

        // Nothing changed: the person's timer runs and holds the focus, the session is still the agent's run, no event.
        Assert.Equal(timer, (await human.GetAsync("/api/v1/timer")).Expect(HttpStatusCode.OK)["timer"].Str("id"));
        var focus = (await human.GetAsync("/api/v1/me/focus"))["focus"];
        Assert.Equal(("timer", timer), (focus.Str("type"), focus.Str("id")));
        Assert.Equal("agent", (await human.GetSessionAsync(session)).CurrentBeat());
        Assert.Equal(["session_start"], (await human.GetAsync($"/api/v1/sessions/{session}/timeline"))["events"].EnumerateArray().Select(e => e.Str("type")));

        // Nor does it take a focused session's place.
        var focused = (await human.StartSessionAsync(project, "pairing")).Str("id");
        (await agent.PostAsync($"/api/v1/sessions/{session}/beat", new { kind = "active" })).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");
        focus = (await human.GetAsync("/api/v1/me/focus"))["focus"];
        Assert.Equal(("session", focused), (focus.Str("type"), focus.Str("id")));
        Assert.Equal("active", (await human.GetSessionAsync(focused)).CurrentBeat());
        Assert.Equal("agent", (await human.GetSessionAsync(session)).CurrentBeat());

        // A person may set any beat, on the agent's session too.
        Assert.Equal("active", (await human.BeatAsync(session, "active")).CurrentBeat());
    }

    [Fact]
    public async Task An_agent_sets_agent_and_idle_only_on_its_own_sessions() // R21
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Two agents", billAgentTime: true);
        var (_, alpha) = await human.CreateAgentAsync("alpha");
        var (_, beta) = await human.CreateAgentAsync("beta");
        var alphaSession = (await alpha.StartSessionAsync(project)).Str("id");
        var humanSession = (await human.StartSessionAsync(project)).Str("id");

        foreach (var session in new[] { alphaSession, humanSession })
        {
            var before = (await human.GetSessionAsync(session)).GetProperty("beats").GetRawText();
            foreach (var kind in new[] { "agent", "idle" })
            {
                // Not its session: unknown to it, as on every session route.
                (await beta.PostAsync($"/api/v1/sessions/{session}/beat", new { kind })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
            }

            (await beta.PostAsync($"/api/v1/sessions/{session}/beat", new { kind = "active" })).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");
            Assert.Equal(before, (await human.GetSessionAsync(session)).GetProperty("beats").GetRawText());
        }

        Assert.Equal("idle", (await alpha.BeatAsync(alphaSession, "idle")).CurrentBeat());
        Assert.Equal("agent", (await alpha.BeatAsync(alphaSession, "agent")).CurrentBeat());
        Assert.Equal("active", (await human.GetSessionAsync(humanSession)).CurrentBeat());
    }

    [Fact]
    public async Task An_agent_token_is_refused_every_person_only_route() // R22
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await human.CreateClientAsync("Initech", rate: 90m);
        var project = await human.CreateProjectAsync(client, "Reports");
        var (agentId, agent) = await human.CreateAgentAsync();
        var entry = (await human.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-11-02T09:00:00Z", duration_seconds = 3600 }))
            .Expect(HttpStatusCode.Created)["time_entry"].Str("id");
        var token = Assert.Single((await human.GetAsync("/api/v1/tokens"))["tokens"].EnumerateArray()).Str("id");
        await human.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project, description = "running" });
        var manual = new { project_id = project, started_at = "2026-11-03T09:00:00Z", duration_seconds = 60 };

        (HttpMethod Method, string Path, object? Body)[] personOnly =
        [
            (HttpMethod.Get, "/api/v1/timer", null),
            (HttpMethod.Put, "/api/v1/timer", new { project_id = project }),
            (HttpMethod.Delete, "/api/v1/timer", null),
            (HttpMethod.Get, "/api/v1/me/focus", null),
            (HttpMethod.Get, "/api/v1/me/orgs", null),
            (HttpMethod.Get, $"/api/v1/time-entries/{entry}", null), // its person's own entry
            (HttpMethod.Get, "/api/v1/time-entries/summary", null),
            (HttpMethod.Get, "/api/v1/reports/summary?from=2026-11-01&to=2026-11-30", null),
            (HttpMethod.Post, "/api/v1/time-entries", manual),
            (HttpMethod.Patch, $"/api/v1/time-entries/{entry}", new { description = "changed" }),
            (HttpMethod.Delete, $"/api/v1/time-entries/{entry}", null),
            (HttpMethod.Get, "/api/v1/clients", null),
            (HttpMethod.Get, $"/api/v1/clients/{client}", null),
            (HttpMethod.Post, "/api/v1/clients", new { name = "x", currency = "EUR", default_rate = 1 }),
            (HttpMethod.Patch, $"/api/v1/clients/{client}", new { default_rate = 1 }),
            (HttpMethod.Post, "/api/v1/projects", new { client_id = client, name = "mine" }),
            (HttpMethod.Patch, $"/api/v1/projects/{project}", new { rate = 1 }),
            (HttpMethod.Post, $"/api/v1/projects/{project}/tasks", new { title = "self-assigned", assignee_agent_id = agentId }),
            (HttpMethod.Get, "/api/v1/org/members", null),
            (HttpMethod.Put, "/api/v1/org/members", new { email = "a@example.com", role = "viewer" }),
            (HttpMethod.Patch, "/api/v1/org", new { agent_lease_seconds = 86400 }),
            (HttpMethod.Get, "/api/v1/tokens", null),
            (HttpMethod.Post, "/api/v1/tokens", new { name = "escalate" }),
            (HttpMethod.Delete, $"/api/v1/tokens/{token}", null),
            (HttpMethod.Get, "/api/v1/agents", null),
            (HttpMethod.Post, "/api/v1/agents", new { name = "spawn" }),
            (HttpMethod.Patch, $"/api/v1/agents/{agentId}", new { status = "active" }),
            (HttpMethod.Post, $"/api/v1/agents/{agentId}/messages", new { text = "note to self" }),
            (HttpMethod.Post, "/api/v1/auth/switch", new { org_id = Guid.NewGuid() }),
            (HttpMethod.Get, "/app/events", null),
        ];

        var wrong = new List<string>();
        foreach (var (method, path, body) in personOnly)
        {
            var reply = await agent.SendAsync(method, path, body);
            if (reply.Status != HttpStatusCode.Forbidden || reply.Code != "agent_not_allowed")
            {
                wrong.Add($"{method} {path}: {(int)reply.Status} {reply.Code}");
            }
        }

        Assert.Empty(wrong);

        // Nothing was changed by any of it.
        Assert.Equal("running", (await human.GetAsync("/api/v1/timer"))["timer"].Str("description"));
        Assert.Equal(3600L, (await human.GetAsync($"/api/v1/time-entries/{entry}"))["time_entry"].Long("duration_seconds"));
        Assert.Equal(90m, (await human.GetAsync($"/api/v1/clients/{client}"))["client"].GetProperty("default_rate").GetDecimal());
        Assert.Equal(300, (await human.GetAsync("/api/v1/org"))["org"].GetProperty("agent_lease_seconds").GetInt32());
        Assert.Single((await human.GetAsync("/api/v1/agents"))["agents"].EnumerateArray());
        Assert.Single((await human.GetAsync("/api/v1/tokens"))["tokens"].EnumerateArray());
    }

    [Fact]
    public async Task An_agent_reads_only_the_entries_its_own_sessions_wrote_without_rates() // R22
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync("Globex", rate: 90m), "Relaunch", billAgentTime: true);
        var (_, alpha) = await human.CreateAgentAsync("alpha");
        var (_, beta) = await human.CreateAgentAsync("beta");
        var manual = (await human.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-11-02T09:00:00Z", duration_seconds = 600 }))
            .Expect(HttpStatusCode.Created)["time_entry"].Str("id");

        // Each agent runs a session long enough to bill a second of agent time (R6), so its end writes an entry.
        var sessions = await Task.WhenAll(new[] { alpha, beta }.Select(async agent =>
        {
            var id = (await agent.StartSessionAsync(project, "run")).Str("id");
            await Task.Delay(1100);
            return (Agent: agent, Ended: (await agent.PostAsync($"/api/v1/sessions/{id}/end")).Expect(HttpStatusCode.OK));
        }));
        var (alphaEnded, betaEntry) = (sessions[0].Ended, sessions[1].Ended["entry"].Str("id"));
        var alphaEntry = alphaEnded["entry"].Str("id");
        AssertNoMoney(alphaEnded["entry"]);
        AssertNoMoney(alphaEnded["session"]);

        var listed = (await alpha.GetAsync("/api/v1/time-entries")).Expect(HttpStatusCode.OK)["time_entries"].EnumerateArray().ToList();
        Assert.Equal(alphaEntry, Assert.Single(listed).Str("id"));
        AssertNoMoney(listed[0]);
        Assert.Empty((await alpha.GetAsync("/api/v1/time-entries?source=manual"))["time_entries"].EnumerateArray());
        AssertNoMoney((await alpha.GetAsync($"/api/v1/time-entries/{alphaEntry}")).Expect(HttpStatusCode.OK)["time_entry"]);
        (await alpha.GetAsync($"/api/v1/time-entries/{manual}")).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");
        (await alpha.GetAsync($"/api/v1/time-entries/{betaEntry}")).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");

        var own = Assert.Single((await alpha.GetAsync("/api/v1/sessions"))["sessions"].EnumerateArray());
        AssertNoMoney(own);
        AssertNoMoney((await alpha.GetSessionAsync(own.Str("id"))));

        // The person sees all three, with their rates.
        var all = (await human.GetAsync("/api/v1/time-entries"))["time_entries"].EnumerateArray().ToList();
        Assert.Equal(3, all.Count);
        Assert.All(all, e => Assert.Equal(90m, e.GetProperty("rate").GetDecimal()));
        Assert.Equal(90m, (await human.GetSessionAsync(own.Str("id"))).GetProperty("rate").GetDecimal());
    }

    [Fact]
    public async Task An_agent_sees_the_orgs_live_projects_without_rates() // R22
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await human.CreateClientAsync("Umbrella", rate: 150m);
        var live = await human.CreateProjectAsync(client, "Vaccine portal", billAgentTime: true, rate: 200m);
        var archived = await human.CreateProjectAsync(client, "Vaccine legacy");
        (await human.SendAsync(HttpMethod.Patch, $"/api/v1/projects/{archived}", new { archived = true })).Expect(HttpStatusCode.OK);
        var retired = await human.CreateClientAsync("Retired");
        await human.CreateProjectAsync(retired, "Vaccine archive");
        (await human.SendAsync(HttpMethod.Patch, $"/api/v1/clients/{retired}", new { archived = true })).Expect(HttpStatusCode.OK);
        var (_, agent) = await human.CreateAgentAsync();

        foreach (var path in new[] { "/api/v1/projects", "/api/v1/projects?q=VACC", "/api/v1/projects?include_archived=true" })
        {
            var project = Assert.Single((await agent.GetAsync(path)).Expect(HttpStatusCode.OK)["projects"].EnumerateArray());
            AssertBrief(project, live);
        }

        AssertBrief((await agent.GetAsync($"/api/v1/projects/{live}")).Expect(HttpStatusCode.OK)["project"], live);
        (await agent.GetAsync($"/api/v1/projects/{archived}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");

        // The person still sees rates.
        Assert.Equal(200m, (await human.GetAsync($"/api/v1/projects/{live}"))["project"].GetProperty("rate").GetDecimal());

        static void AssertBrief(JsonElement project, string id)
        {
            Assert.Equal(["id", "name", "client_name", "bill_agent_time"], project.EnumerateObject().Select(p => p.Name));
            Assert.Equal((id, "Vaccine portal", "Umbrella", true), (project.Str("id"), project.Str("name"), project.Str("client_name"), project.GetProperty("bill_agent_time").GetBoolean()));
        }
    }

    [Fact]
    public async Task Me_and_org_tell_an_agent_who_it_is_but_not_its_persons_email() // R22
    {
        var (human, _, signup) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (agentId, agent) = await human.CreateAgentAsync("scribe");

        var me = (await agent.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        Assert.Equal(agentId, me["agent"].Str("id"));
        Assert.Equal(["id", "name"], me["user"].EnumerateObject().Select(p => p.Name));
        Assert.Equal(signup.GetProperty("user").Str("id"), me["user"].Str("id"));
        Assert.DoesNotContain(signup.GetProperty("user").Str("email"), me.Body.GetRawText());

        var org = (await agent.GetAsync("/api/v1/org")).Expect(HttpStatusCode.OK)["org"];
        Assert.Equal(300, org.GetProperty("agent_lease_seconds").GetInt32());
        Assert.Equal(signup.GetProperty("user").Str("email"), (await human.GetAsync("/api/v1/me"))["user"].Str("email"));
    }

    [Fact]
    public void Only_the_routes_marked_for_agents_admit_agent_tokens() // R21, R22: a new route is person-only until marked
    {
        var admitted = server.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<AllowAgentsAttribute>() is not null)
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(method => $"{method} {e.RoutePattern.RawText!.TrimEnd('/')}"))
            .Order()
            .ToList();

        Assert.Equal(
            new[]
            {
                "DELETE /mcp",
                "GET /api/v1/agents/{id}/updates",
                "GET /api/v1/me",
                "GET /api/v1/org",
                "GET /api/v1/projects",
                "GET /api/v1/projects/{id}",
                "GET /api/v1/projects/{id}/tasks",
                "GET /api/v1/sessions",
                "GET /api/v1/sessions/{id}",
                "GET /api/v1/sessions/{id}/timeline",
                "GET /api/v1/time-entries",
                "GET /api/v1/time-entries/{id}",
                "GET /mcp",
                "PATCH /api/v1/tasks/{id}",
                "POST /api/v1/sessions",
                "POST /api/v1/sessions/{id}/beat",
                "POST /api/v1/sessions/{id}/end",
                "POST /api/v1/sessions/{id}/events",
                "POST /api/v1/sessions/{id}/heartbeat",
                "POST /mcp",
            }.Order(),
            admitted);
    }

    /// <summary>R22: nothing about money reaches an agent.</summary>
    private static void AssertNoMoney(JsonElement view)
    {
        foreach (var field in new[] { "rate", "currency", "amount", "agent_rate", "effective_rate", "default_rate" })
        {
            Assert.False(view.TryGetProperty(field, out _), $"an agent was shown {field}: {view.GetRawText()}");
        }
    }
}
