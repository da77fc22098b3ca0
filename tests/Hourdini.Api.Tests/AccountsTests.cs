using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

public class AccountsTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task Signup_creates_a_personal_org_owned_by_the_user_and_login_signs_in()
    {
        var email = $"owner-{Guid.NewGuid():N}@example.com";
        var (pat, _, signup) = await ApiClient.SignUpAsync(server.BaseAddress, email);
        var me = (await pat.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        Assert.Equal(("owner", signup.GetProperty("org").Str("id")), (me["role"].GetString(), me["org"].Str("id")));

        using var browser = ApiClient.Anonymous(server.BaseAddress);
        (await browser.PostAsync("/api/v1/auth/login", new { email = email.ToUpperInvariant(), password = "wrong password" }))
            .ExpectProblem(HttpStatusCode.Unauthorized, "invalid_credentials");
        (await browser.PostAsync("/api/v1/auth/login", new { email, password = "correct horse battery" })).Expect(HttpStatusCode.OK);
        Assert.Equal(email, (await browser.GetAsync("/api/v1/me"))["user"].Str("email"));

        (await browser.PostAsync("/api/v1/auth/signup", new { email, password = "another password", name = "Again" }))
            .ExpectProblem(HttpStatusCode.Conflict, "email_taken");
    }

    [Fact]
    public async Task A_token_is_shown_once_stored_hashed_and_cannot_mint_tokens()
    {
        var (pat, browser, _) = await ApiClient.SignUpAsync(server.BaseAddress);

        (await pat.PostAsync("/api/v1/tokens", new { name = "from a token" })).ExpectProblem(HttpStatusCode.Forbidden, "cookie_required");

        var minted = (await browser.PostAsync("/api/v1/tokens", new { name = "second" })).Expect(HttpStatusCode.Created);
        var secret = minted["secret"].GetString()!;
        Assert.StartsWith("hd_pat_live_", secret);
        var listed = (await browser.GetAsync("/api/v1/tokens"))["tokens"].ToString();
        Assert.DoesNotContain(secret, listed);

        await using var db = await server.OpenDatabaseAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT count(*) FILTER (WHERE secret_hash = sha256(convert_to($1, 'UTF8'))), count(*) FILTER (WHERE t::text LIKE '%' || $1 || '%') FROM tokens t", db);
        command.Parameters.AddWithValue(secret);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.Equal((1L, 0L), (reader.GetInt64(0), reader.GetInt64(1))); // stored as its SHA-256 only
        }

        (await browser.SendAsync(HttpMethod.Delete, $"/api/v1/tokens/{minted["token"].Str("id")}")).Expect(HttpStatusCode.NoContent);
        using var revoked = ApiClient.WithToken(server.BaseAddress, secret);
        (await revoked.GetAsync("/api/v1/me")).ExpectProblem(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Viewers_read_but_never_write_and_only_owners_manage_the_org()
    {
        var (owner, ownerBrowser, signup) = await ApiClient.SignUpAsync(server.BaseAddress);
        var viewerEmail = $"viewer-{Guid.NewGuid():N}@example.com";
        var (_, viewerHome, _) = await ApiClient.SignUpAsync(server.BaseAddress, viewerEmail);
        var orgId = signup.GetProperty("org").Str("id");
        await owner.CreateClientAsync("Visible only by grant");

        (await owner.SendAsync(HttpMethod.Put, "/api/v1/org/members", new { email = viewerEmail, role = "viewer" })).Expect(HttpStatusCode.OK);
        (await viewerHome.PostAsync("/api/v1/auth/login", new { email = viewerEmail, password = "correct horse battery", org_id = orgId }))
            .Expect(HttpStatusCode.OK);
        var viewer = viewerHome;

        Assert.Equal("viewer", (await viewer.GetAsync("/api/v1/me"))["role"].GetString());
        Assert.Empty((await viewer.GetAsync("/api/v1/clients"))["clients"].EnumerateArray());
        (await viewer.PostAsync("/api/v1/clients", new { name = "x", currency = "EUR", default_rate = 1 })).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        (await viewer.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_name = "x" })).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        (await viewer.SendAsync(HttpMethod.Patch, "/api/v1/org", new { name = "taken over" })).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");

        // An org always keeps an owner.
        var ownerEmail = (await owner.GetAsync("/api/v1/me"))["user"].Str("email");
        (await owner.SendAsync(HttpMethod.Put, "/api/v1/org/members", new { email = ownerEmail, role = "member" }))
            .ExpectProblem(HttpStatusCode.Conflict, "last_owner");
        (await ownerBrowser.SendAsync(HttpMethod.Patch, "/api/v1/org", new { agent_lease_seconds = 60 })).Expect(HttpStatusCode.OK);
        Assert.Equal(60, (await owner.GetAsync("/api/v1/org"))["org"].GetProperty("agent_lease_seconds").GetInt32());
    }

    [Fact]
    public async Task A_client_keeps_its_currency_once_it_has_entries() // PRODUCT.md, Client
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await api.CreateClientAsync(currency: "USD");
        (await api.SendAsync(HttpMethod.Patch, $"/api/v1/clients/{client}", new { currency = "GBP" })).Expect(HttpStatusCode.OK);
        var project = await api.CreateProjectAsync(client, "Billed");
        (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-11-01T10:00:00Z", duration_seconds = 60 }))
            .Expect(HttpStatusCode.Created);

        (await api.SendAsync(HttpMethod.Patch, $"/api/v1/clients/{client}", new { currency = "EUR" }))
            .ExpectProblem(HttpStatusCode.Conflict, "currency_locked");
    }
}
