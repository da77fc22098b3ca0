using System.Diagnostics;
using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// Each node caches what a token stands for (issue 6). A change made on one node must reach every other
/// node's cache at once (NOTIFY hd_auth), not after the cache's 30 s lifetime.
/// </summary>
public class TokenCacheTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_token_revoked_on_one_node_is_refused_by_another_node_that_had_cached_it()
    {
        var (_, browser, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var minted = (await browser.PostAsync("/api/v1/tokens", new { name = "cached elsewhere" })).Expect(HttpStatusCode.Created);
        await using var otherNode = await HourdiniServer.StartNodeAsync(server.ConnectionString);
        using var onOtherNode = ApiClient.WithToken(otherNode.BaseAddress, minted["secret"].GetString()!);
        (await onOtherNode.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK); // now cached there

        (await browser.SendAsync(HttpMethod.Delete, $"/api/v1/tokens/{minted["token"].Str("id")}")).Expect(HttpStatusCode.NoContent);

        await EventuallyAsync(async () => (await onOtherNode.GetAsync("/api/v1/me")).Status == HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_agent_disabled_on_one_node_is_refused_by_another_node_that_had_cached_it()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (agentId, agent) = await human.CreateAgentAsync();
        await using var otherNode = await HourdiniServer.StartNodeAsync(server.ConnectionString);
        using var onOtherNode = ApiClient.WithToken(otherNode.BaseAddress, agent.Http.DefaultRequestHeaders.Authorization!.Parameter!);
        (await onOtherNode.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);

        (await human.SendAsync(HttpMethod.Patch, $"/api/v1/agents/{agentId}", new { status = "disabled" })).Expect(HttpStatusCode.OK);

        await EventuallyAsync(async () => (await onOtherNode.GetAsync("/api/v1/me")).Code == "agent_disabled");
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < Soon, $"the other node still used its cached caller after {watch.Elapsed}");
            await Task.Delay(50);
        }
    }
}
