using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

public class CatalogTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task Projects_are_found_by_partial_name_and_an_exact_name_wins()
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await api.CreateClientAsync();
        var site = await api.CreateProjectAsync(client, "Site");
        await api.CreateProjectAsync(client, "Site Redesign");
        await api.CreateProjectAsync(client, "Mobile App");

        var matches = (await api.GetAsync("/api/v1/projects?q=SITE"))["projects"].EnumerateArray().Select(p => p.Str("name"));
        Assert.Equal(["Site", "Site Redesign"], matches);
        Assert.Equal(site, (await api.PostAsync("/api/v1/sessions", new { project_name = "site" }))
            .Expect(HttpStatusCode.Created)["session"].Str("project_id"));
        (await api.PostAsync("/api/v1/sessions", new { project_name = "i" })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "project_ambiguous");
    }

    [Fact]
    public async Task An_archived_project_is_hidden_by_default_and_takes_no_new_work()
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Old work");
        (await api.SendAsync(HttpMethod.Patch, $"/api/v1/projects/{project}", new { archived = true })).Expect(HttpStatusCode.OK);

        Assert.Empty((await api.GetAsync("/api/v1/projects"))["projects"].EnumerateArray());
        Assert.Single((await api.GetAsync("/api/v1/projects?include_archived=true"))["projects"].EnumerateArray());
        (await api.PostAsync("/api/v1/sessions", new { project_id = project })).ExpectProblem(HttpStatusCode.Conflict, "project_archived");
        (await api.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project })).ExpectProblem(HttpStatusCode.Conflict, "project_archived");
    }
}
