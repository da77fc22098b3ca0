using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// R26: a project may set an agent rate; billed agent seconds are valued at it instead of the rate, snapshotted at
/// session start with Bill agent time, so a later change never re-prices work already started.
/// </summary>
public sealed class AgentRateTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task A_sessions_agent_time_is_priced_at_the_agent_rate_it_started_with()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await pat.CreateClientAsync(rate: 90m);
        var project = (await pat.PostAsync("/api/v1/projects", new { client_id = client, name = "Agents", bill_agent_time = true, agent_rate = 36.5m }))
            .Expect(HttpStatusCode.Created)["project"];
        Assert.Equal(36.5m, project.GetProperty("agent_rate").GetDecimal());

        var session = (await pat.StartSessionAsync(project.Str("id"))).Str("id");
        await Task.Delay(1100);
        await pat.BeatAsync(session, "agent");

        // A change after the start reaches only sessions started after it (R5, R26).
        (await pat.SendAsync(HttpMethod.Patch, $"/api/v1/projects/{project.Str("id")}", new { agent_rate = 500m })).Expect(HttpStatusCode.OK);
        await Task.Delay(1100);
        var entry = (await pat.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK)["entry"];

        var (active, agent) = (entry.Long("active_seconds"), entry.Long("agent_seconds"));
        Assert.True(active >= 1 && agent >= 1, $"active {active} s, agent {agent} s");
        Assert.Equal(36.5m, entry.GetProperty("agent_rate").GetDecimal());
        var expected = Math.Round((active * 90m / 3600m) + (agent * 36.5m / 3600m), 2, MidpointRounding.ToEven);
        Assert.Equal(expected.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), entry.Str("amount"));
    }

    [Fact]
    public async Task An_agent_rate_is_set_cleared_and_validated_and_agents_never_see_it()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(), "Rates", billAgentTime: true);
        var path = $"/api/v1/projects/{project}";

        Assert.Equal(40m, (await pat.SendAsync(HttpMethod.Patch, path, new { agent_rate = 40m })).Expect(HttpStatusCode.OK)["project"].GetProperty("agent_rate").GetDecimal());
        (await pat.SendAsync(HttpMethod.Patch, path, new { agent_rate = -1m })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        (await pat.SendAsync(HttpMethod.Patch, path, new { agent_rate = 1.234m })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        var cleared = (await pat.SendAsync(HttpMethod.Patch, path, new { clear_agent_rate = true })).Expect(HttpStatusCode.OK)["project"];
        Assert.Equal(System.Text.Json.JsonValueKind.Null, cleared.GetProperty("agent_rate").ValueKind);

        // R22: agents read projects without rates.
        var (_, agent) = await pat.CreateAgentAsync();
        var seen = (await agent.GetAsync(path)).Expect(HttpStatusCode.OK)["project"];
        Assert.False(seen.TryGetProperty("agent_rate", out _));
    }
}
