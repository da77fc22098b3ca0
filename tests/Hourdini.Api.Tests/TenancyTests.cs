using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>No request ever sees or changes another org's data; another org's ids answer 404.</summary>
public class TenancyTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task Another_orgs_ids_are_unknown_and_its_data_untouched()
    {
        var (alice, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (mallory, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await alice.CreateClientAsync("Alice Co");
        var project = await alice.CreateProjectAsync(client, "Secret project");
        var session = (await alice.StartSessionAsync(project)).Str("id");

        (await mallory.GetAsync($"/api/v1/sessions/{session}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await mallory.GetAsync($"/api/v1/sessions/{session}/timeline")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await mallory.PostAsync($"/api/v1/sessions/{session}/beat", new { kind = "idle" })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await mallory.PostAsync($"/api/v1/sessions/{session}/end")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await mallory.GetAsync($"/api/v1/projects/{project}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await mallory.SendAsync(HttpMethod.Patch, $"/api/v1/projects/{project}", new { name = "mine" })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await mallory.GetAsync($"/api/v1/clients/{client}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await mallory.SendAsync(HttpMethod.Patch, $"/api/v1/clients/{client}", new { name = "mine" })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await mallory.PostAsync("/api/v1/projects", new { client_id = client, name = "in alice's client" })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await mallory.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await mallory.PostAsync("/api/v1/sessions", new { project_id = project })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await mallory.PostAsync("/api/v1/sessions", new { project_name = "Secret" })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await mallory.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-11-01T10:00:00Z", duration_seconds = 60 }))
            .ExpectProblem(HttpStatusCode.NotFound, "not_found");

        Assert.Empty((await mallory.GetAsync("/api/v1/clients"))["clients"].EnumerateArray());
        Assert.Empty((await mallory.GetAsync("/api/v1/projects"))["projects"].EnumerateArray());
        Assert.Empty((await mallory.GetAsync("/api/v1/sessions"))["sessions"].EnumerateArray());
        Assert.Empty((await mallory.GetAsync($"/api/v1/time-entries?project_id={project}"))["time_entries"].EnumerateArray());

        var untouched = await alice.GetSessionAsync(session);
        Assert.Equal("active", untouched.CurrentBeat());
        Assert.Equal("Secret project", (await alice.GetAsync($"/api/v1/projects/{project}"))["project"].Str("name"));
    }
}
