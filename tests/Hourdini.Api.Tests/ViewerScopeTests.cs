using System.Net;
using System.Text.Json;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// PRODUCT.md, Membership: a viewer reads only the clients granted to them, and what is on those clients (projects,
/// tasks, entries, the agents named on those entries); of the members, only themself. Owners grant and take back.
/// </summary>
public class ViewerScopeTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task A_viewer_reads_only_what_is_on_the_clients_granted_to_them() // issue 24: viewers see only their clients
    {
        var (owner, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var granted = await owner.CreateClientAsync("Granted Co");
        var other = await owner.CreateClientAsync("Other Co");
        var grantedProject = await owner.CreateProjectAsync(granted, "Granted site", billAgentTime: true);
        var otherProject = await owner.CreateProjectAsync(other, "Other site", billAgentTime: true);
        var (grantedAgentId, grantedAgent) = await owner.CreateAgentAsync("on granted");
        var (_, otherAgent) = await owner.CreateAgentAsync("on other");
        await AgentEntriesAsync((grantedAgent, grantedProject), (otherAgent, otherProject));
        (await owner.PostAsync($"/api/v1/projects/{otherProject}/tasks", new { title = "secret task" })).Expect(HttpStatusCode.Created);
        (await owner.PostAsync($"/api/v1/projects/{grantedProject}/tasks", new { title = "visible task" })).Expect(HttpStatusCode.Created);
        var (member, _, _) = await owner.AddPersonAsync("member");
        var (viewer, viewerId, _) = await owner.AddPersonAsync("viewer");

        // Before any grant: nothing of the org but themself.
        Assert.Empty(Ids(await viewer.GetAsync("/api/v1/clients"), "clients"));
        Assert.Empty(Ids(await viewer.GetAsync("/api/v1/projects"), "projects"));
        Assert.Empty(Ids(await viewer.GetAsync("/api/v1/agents"), "agents"));
        Assert.Empty(Ids(await viewer.GetAsync("/api/v1/time-entries"), "time_entries"));
        Assert.Equal([viewerId], Members(await viewer.GetAsync("/api/v1/org/members")));

        (await owner.SendAsync(HttpMethod.Put, $"/api/v1/clients/{granted}/viewers/{viewerId}")).Expect(HttpStatusCode.OK);

        Assert.Equal([granted], Ids(await viewer.GetAsync("/api/v1/clients"), "clients"));
        Assert.Equal([grantedProject], Ids(await viewer.GetAsync("/api/v1/projects"), "projects"));
        Assert.Equal([grantedAgentId], Ids(await viewer.GetAsync("/api/v1/agents"), "agents"));
        var entries = (await viewer.GetAsync("/api/v1/time-entries")).Expect(HttpStatusCode.OK)["time_entries"].EnumerateArray().ToList();
        Assert.Equal([grantedProject], entries.Select(e => e.Str("project_id")).Distinct());
        var entryId = entries[0].Str("id");
        Assert.Equal([grantedProject], (await viewer.GetAsync("/api/v1/time-entries/summary")).Expect(HttpStatusCode.OK)["groups"]
            .EnumerateArray().Select(g => g.Str("project_id")));
        Assert.Equal(entryId, (await viewer.GetAsync($"/api/v1/time-entries/{entryId}")).Expect(HttpStatusCode.OK)["time_entry"].Str("id"));
        Assert.Equal(["visible task"], (await viewer.GetAsync($"/api/v1/projects/{grantedProject}/tasks")).Expect(HttpStatusCode.OK)["tasks"]
            .EnumerateArray().Select(t => t.Str("title")));
        (await viewer.GetAsync($"/api/v1/projects/{otherProject}/tasks")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await viewer.GetAsync($"/api/v1/projects/{otherProject}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await viewer.GetAsync($"/api/v1/clients/{other}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        Assert.Equal([viewerId], Members(await viewer.GetAsync("/api/v1/org/members")));

        // Owners and members are not narrowed.
        Assert.Equal(3, Members(await member.GetAsync("/api/v1/org/members")).Count);
        Assert.Equal(2, Ids(await member.GetAsync("/api/v1/agents"), "agents").Count);

        // Taking the grant back takes it all back.
        (await owner.SendAsync(HttpMethod.Delete, $"/api/v1/clients/{granted}/viewers/{viewerId}")).Expect(HttpStatusCode.NoContent);
        (await owner.SendAsync(HttpMethod.Delete, $"/api/v1/clients/{granted}/viewers/{viewerId}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        Assert.Empty(Ids(await viewer.GetAsync("/api/v1/clients"), "clients"));
        Assert.Empty(Ids(await viewer.GetAsync("/api/v1/agents"), "agents"));
        Assert.Empty(Ids(await viewer.GetAsync("/api/v1/time-entries"), "time_entries"));
        (await viewer.GetAsync($"/api/v1/time-entries/{entryId}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Only_an_owner_grants_a_client_and_only_to_a_viewer_of_the_org() // issue 24: granting needs Owner
    {
        var (owner, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await owner.CreateClientAsync("Acme");
        var (member, memberId, _) = await owner.AddPersonAsync("member");
        var (viewer, viewerId, _) = await owner.AddPersonAsync("viewer");
        var (stranger, _, strangerSignup) = await ApiClient.SignUpAsync(server.BaseAddress);
        var strangerId = strangerSignup.GetProperty("user").Str("id");
        var strangersClient = await stranger.CreateClientAsync("Theirs");

        (await member.SendAsync(HttpMethod.Put, $"/api/v1/clients/{client}/viewers/{viewerId}")).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        (await viewer.SendAsync(HttpMethod.Put, $"/api/v1/clients/{client}/viewers/{viewerId}")).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        (await member.GetAsync($"/api/v1/clients/{client}/viewers")).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        Assert.Empty(Ids(await viewer.GetAsync("/api/v1/clients"), "clients"));

        (await owner.SendAsync(HttpMethod.Put, $"/api/v1/clients/{client}/viewers/{memberId}")).ExpectProblem(HttpStatusCode.Conflict, "not_a_viewer");
        (await owner.SendAsync(HttpMethod.Put, $"/api/v1/clients/{client}/viewers/{strangerId}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await owner.SendAsync(HttpMethod.Put, $"/api/v1/clients/{strangersClient}/viewers/{viewerId}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await owner.SendAsync(HttpMethod.Put, $"/api/v1/clients/not-an-id/viewers/{viewerId}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await owner.SendAsync(HttpMethod.Put, $"/api/v1/clients/{client}/viewers/not-an-id")).ExpectProblem(HttpStatusCode.NotFound, "not_found");

        var grant = (await owner.SendAsync(HttpMethod.Put, $"/api/v1/clients/{client}/viewers/{viewerId}")).Expect(HttpStatusCode.OK)["viewer"];
        Assert.Equal((viewerId, "viewer"), (grant.GetProperty("user").Str("id"), grant.Str("role")));
        (await owner.SendAsync(HttpMethod.Put, $"/api/v1/clients/{client}/viewers/{viewerId}")).Expect(HttpStatusCode.OK); // granting twice changes nothing
        Assert.Equal([viewerId], Members(await owner.GetAsync($"/api/v1/clients/{client}/viewers"), "viewers"));
        (await owner.GetAsync($"/api/v1/clients/{strangersClient}/viewers")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        Assert.Equal([client], Ids(await viewer.GetAsync("/api/v1/clients"), "clients"));
    }

    /// <summary>Each agent works on its project for over a second (billed, as the projects bill agent time) and ends: an entry naming it.</summary>
    private static async Task AgentEntriesAsync(params (ApiClient Agent, string Project)[] work)
    {
        var sessions = new List<(ApiClient Agent, string Session)>();
        foreach (var (agent, project) in work)
        {
            sessions.Add((agent, (await agent.StartSessionAsync(project)).Str("id")));
        }

        await Task.Delay(1100);
        foreach (var (agent, session) in sessions)
        {
            var ended = (await agent.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK);
            Assert.Equal(JsonValueKind.Object, ended["entry"].ValueKind);
        }
    }

    private static List<string> Ids(Reply reply, string list) =>
        reply.Expect(HttpStatusCode.OK)[list].EnumerateArray().Select(e => e.Str("id")).ToList();

    private static List<string> Members(Reply reply, string list = "members") =>
        reply.Expect(HttpStatusCode.OK)[list].EnumerateArray().Select(m => m.GetProperty("user").Str("id")).ToList();
}
