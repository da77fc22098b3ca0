using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// DESIGN.md "Many nodes": any node serves any request, and correctness never rests on which node holds an
/// activation. A node whose copy of a user or session is stale must not answer from it (issue 7).
/// </summary>
public class CrossNodeTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task A_beat_that_looks_done_on_a_stale_node_is_checked_against_the_database_and_really_happens() // R1, R13
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(), "Cross-node", billAgentTime: true);
        var (_, agentHere) = await pat.CreateAgentAsync();
        await using var otherNode = await HourdiniServer.StartNodeAsync(server.ConnectionString);
        using var agentThere = ApiClient.WithToken(otherNode.BaseAddress, agentHere.Http.DefaultRequestHeaders.Authorization!.Parameter!);

        var session = (await agentHere.StartSessionAsync(project, "agent work")).Str("id");
        var firstIdle = await agentHere.BeatAsync(session, "idle");    // this node now holds the session: idle
        Assert.Equal("agent", (await agentThere.BeatAsync(session, "agent")).CurrentBeat()); // the other node changes it

        // This node's copy still says "idle", so going idle looks like a no-op here. It must not answer from that copy.
        var answer = await agentHere.BeatAsync(session, "idle");
        var stored = await pat.GetSessionAsync(session);

        Assert.Equal("idle", stored.CurrentBeat());
        Assert.Equal(stored.GetProperty("current_beat").Str("since"), answer.GetProperty("current_beat").Str("since"));
        Assert.NotEqual(firstIdle.GetProperty("current_beat").Str("since"), answer.GetProperty("current_beat").Str("since"));
        Assert.Equal(4, stored.GetProperty("beats").GetArrayLength()); // agent, idle, agent, idle: every acknowledged beat is stored
    }

    [Fact]
    public async Task One_users_calls_spread_over_two_nodes_at_once_never_conflict() // R3, issue 23
    {
        var (pat, _, signup) = await ApiClient.SignUpAsync(server.BaseAddress);
        var userId = Guid.Parse(signup.GetProperty("user").Str("id"));
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(), "Spread", billAgentTime: true);
        await using var otherNode = await HourdiniServer.StartNodeAsync(server.ConnectionString);
        ApiClient[] OnBothNodes(ApiClient client)
        {
            var token = client.Http.DefaultRequestHeaders.Authorization!.Parameter!;
            return [client, ApiClient.WithToken(otherNode.BaseAddress, token)];
        }

        // The person with three sessions, two agents with one each; every caller on both nodes.
        var person = OnBothNodes(pat);
        var mine = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            mine.Add((await person[i % 2].StartSessionAsync(project, $"h{i}")).Str("id"));
        }

        var agents = new List<(ApiClient[] Nodes, string Session)>();
        for (var i = 0; i < 2; i++)
        {
            var (_, agent) = await pat.CreateAgentAsync($"agent {i}");
            agents.Add((OnBothNodes(agent), (await agent.StartSessionAsync(project, $"a{i}")).Str("id")));
        }

        // Four callers at once, each call to a node picked at random: no routing, no affinity.
        var statuses = new System.Collections.Concurrent.ConcurrentBag<(HttpStatusCode Status, string? Code)>();
        async Task CallerAsync(int seed, Func<Random, Task<Reply>> call)
        {
            var random = new Random(seed);
            for (var i = 0; i < 25; i++)
            {
                var reply = await call(random);
                statuses.Add((reply.Status, reply.Code));
            }
        }

        await Task.WhenAll(
            CallerAsync(1, r => person[r.Next(2)].PostAsync($"/api/v1/sessions/{mine[r.Next(3)]}/beat", new { kind = "active" })),
            CallerAsync(2, r => person[r.Next(2)].PostAsync($"/api/v1/sessions/{mine[r.Next(3)]}/beat", new { kind = r.Next(2) == 0 ? "idle" : "agent" })),
            CallerAsync(3, r => agents[0].Nodes[r.Next(2)].PostAsync($"/api/v1/sessions/{agents[0].Session}/events", new { type = "log", message = "step" })),
            CallerAsync(4, r => agents[1].Nodes[r.Next(2)].PostAsync($"/api/v1/sessions/{agents[1].Session}/beat", new { kind = r.Next(2) == 0 ? "idle" : "agent" })));

        // Orleans keeps one activation of the user and of each session across both nodes: nothing raced, nothing was refused.
        Assert.Equal(100, statuses.Count);
        Assert.DoesNotContain(statuses, s => s.Code == "concurrent_change");
        Assert.All(statuses, s => Assert.True(s.Status is HttpStatusCode.OK or HttpStatusCode.Created, $"{s.Status} {s.Code}"));
        await using var db = await server.OpenDatabaseAsync();
        await Invariants.AssertAsync(db, userId, expectedSessions: 5);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_per_address_limits_count_the_client_not_the_proxy() // issue 7, Protection
    {
        await using var node = await HourdiniServer.StartNodeAsync(server.ConnectionString, new()
        {
            ["Hourdini:Limits:PerAddressPerSecond"] = "1",
            ["Hourdini:Limits:PerAddressBurst"] = "2",
            ["Hourdini:Limits:TrustedProxies:0"] = "127.0.0.1", // named: nothing is trusted by default (issue 24)
        });

        async Task<HttpStatusCode> FromAsync(string client)
        {
            using var http = new HttpClient { BaseAddress = node.BaseAddress };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
            request.Headers.Add("X-Forwarded-For", client); // the test talks over loopback, the proxy named above
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        var greedy = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            greedy.Add(await FromAsync("203.0.113.7"));
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, greedy);
        Assert.Equal(HttpStatusCode.Unauthorized, await FromAsync("203.0.113.8")); // another client behind the same proxy goes on
    }
}
