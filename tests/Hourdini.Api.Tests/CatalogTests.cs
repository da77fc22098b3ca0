using System.Net;
using Hourdini.Grains.Projects;
using Hourdini.Silo.Storage;
using Hourdini.Testing;
using Npgsql;

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

    [Fact]
    public async Task A_client_cannot_have_two_open_projects_of_the_same_name_trimmed_and_case_insensitive() // R23
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var acme = await api.CreateClientAsync("Acme");
        var backend = await api.CreateProjectAsync(acme, "Backend API");

        var taken = (await api.PostAsync("/api/v1/projects", new { client_id = acme, name = "  backend api " }))
            .ExpectProblem(HttpStatusCode.Conflict, "project_name_taken");
        Assert.Equal("name", taken.Body.Str("field"));
        Assert.Contains("backend api", taken.Body.Str("detail"));

        // Another client may use the name; a rename onto a taken name is refused too.
        await api.CreateProjectAsync(await api.CreateClientAsync("Initech"), "Backend API");
        var other = await api.CreateProjectAsync(acme, "Frontend");
        (await api.SendAsync(HttpMethod.Patch, $"/api/v1/projects/{other}", new { name = "BACKEND API" }))
            .ExpectProblem(HttpStatusCode.Conflict, "project_name_taken");

        // An archived project frees its name; unarchiving it while the name is taken is refused.
        (await api.SendAsync(HttpMethod.Patch, $"/api/v1/projects/{backend}", new { archived = true })).Expect(HttpStatusCode.OK);
        await api.CreateProjectAsync(acme, "Backend API");
        (await api.SendAsync(HttpMethod.Patch, $"/api/v1/projects/{backend}", new { archived = false }))
            .ExpectProblem(HttpStatusCode.Conflict, "project_name_taken");
    }

    [Fact]
    public async Task Migration_0019_renames_existing_duplicates_to_the_first_free_number_so_R23s_index_holds() // R23
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await api.CreateClientAsync();
        var oldest = await api.CreateProjectAsync(client, "API");
        var twin = await api.CreateProjectAsync(client, "api-twin");
        var numbered = await api.CreateProjectAsync(client, "API (2)");

        // The database as it was before 0019: no index, and two open projects of one name (case aside) under one client.
        var r23 = Migrator.Migrations.Single(m => m.Version == 19).Sql;
        await using (var connection = await server.OpenDatabaseAsync())
        {
            await using var undo = new NpgsqlCommand(
                $"DROP INDEX projects_unique_open_name; UPDATE projects SET name = 'api' WHERE id = '{twin}';", connection);
            await undo.ExecuteNonQueryAsync();
            await using var migrate = new NpgsqlCommand(r23[r23.IndexOf("-- R23:", StringComparison.Ordinal)..], connection);
            await migrate.ExecuteNonQueryAsync();
        }

        async Task<string> Name(string id) => (await api.GetAsync($"/api/v1/projects/{id}")).Expect(HttpStatusCode.OK)["project"].Str("name");
        Assert.Equal(("API", "api (3)", "API (2)"), (await Name(oldest), await Name(twin), await Name(numbered)));
    }

    [Fact]
    public async Task The_apps_palette_is_the_databases()
    {
        await using var connection = await server.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand("SELECT array_agg(hd_palette_color(n) ORDER BY n) FROM generate_series(0, 11) n", connection);
        Assert.Equal(Palette.Colors, (string[])(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Clients_and_projects_have_colours_new_ones_differ_and_a_bad_colour_names_its_field()
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var acme = await api.CreateClientAsync("Acme");
        var initech = await api.CreateClientAsync("Initech");
        var clients = (await api.GetAsync("/api/v1/clients"))["clients"].EnumerateArray().Select(c => c.Str("color")).ToList();
        Assert.Equal(2, clients.Distinct().Count());

        var first = await api.CreateProjectAsync(acme, "One");
        var second = await api.CreateProjectAsync(acme, "Two");
        var colours = (await api.GetAsync("/api/v1/projects"))["projects"].EnumerateArray().Select(p => p.Str("color")).ToList();
        Assert.Equal(2, colours.Distinct().Count());
        Assert.All(colours, c => Assert.Matches("^#[0-9a-f]{6}$", c));

        var chosen = (await api.PostAsync("/api/v1/projects", new { client_id = initech, name = "Three", color = "#123abc" }))
            .Expect(HttpStatusCode.Created)["project"];
        Assert.Equal("#123abc", chosen.Str("color"));
        Assert.Equal("#0f0f0f", (await api.SendAsync(HttpMethod.Patch, $"/api/v1/projects/{first}", new { color = "#0f0f0f" }))
            .Expect(HttpStatusCode.OK)["project"].Str("color"));
        Assert.Equal("#abcdef", (await api.SendAsync(HttpMethod.Patch, $"/api/v1/clients/{acme}", new { color = "#abcdef" }))
            .Expect(HttpStatusCode.OK)["client"].Str("color"));

        var bad = (await api.SendAsync(HttpMethod.Patch, $"/api/v1/projects/{second}", new { color = "red" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Equal("color", bad.Body.Str("field"));
        Assert.Equal("name", (await api.SendAsync(HttpMethod.Patch, $"/api/v1/clients/{acme}", new { name = " " }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed").Body.Str("field"));
    }
}
