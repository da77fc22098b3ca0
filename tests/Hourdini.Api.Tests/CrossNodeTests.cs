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
    public async Task Behind_a_trusted_proxy_per_address_limits_count_the_client_not_the_proxy() // issue 7, Protection
    {
        await using var node = await HourdiniServer.StartNodeAsync(server.ConnectionString, new()
        {
            ["Hourdini:Limits:PerAddressPerSecond"] = "1",
            ["Hourdini:Limits:PerAddressBurst"] = "2",
        });

        async Task<HttpStatusCode> FromAsync(string client)
        {
            using var http = new HttpClient { BaseAddress = node.BaseAddress };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
            request.Headers.Add("X-Forwarded-For", client); // the test talks over loopback, a trusted proxy
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
