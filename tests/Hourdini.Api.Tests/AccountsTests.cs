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
        var (owner, ownerBrowser, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        await owner.CreateClientAsync("Visible only by grant");
        var (viewer, _, viewerEmail) = await owner.AddPersonAsync("viewer");

        Assert.Equal("viewer", (await viewer.GetAsync("/api/v1/me"))["role"].GetString());
        Assert.Empty((await viewer.GetAsync("/api/v1/clients"))["clients"].EnumerateArray());
        (await viewer.PostAsync("/api/v1/clients", new { name = "x", currency = "EUR", default_rate = 1 })).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        (await viewer.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_name = "x" })).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        (await viewer.SendAsync(HttpMethod.Patch, "/api/v1/org", new { name = "taken over" })).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        (await viewer.PostAsync("/api/v1/org/invitations", new { email = "friend@example.com", role = "owner" }))
            .ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        (await viewer.SendAsync(HttpMethod.Put, "/api/v1/org/members", new { email = viewerEmail, role = "owner" }))
            .ExpectProblem(HttpStatusCode.Forbidden, "forbidden");

        // An owner changes the role of someone already a member, by email; an org always keeps an owner.
        var promoted = (await owner.SendAsync(HttpMethod.Put, "/api/v1/org/members", new { email = viewerEmail.ToUpperInvariant(), role = "member" }))
            .Expect(HttpStatusCode.OK)["member"];
        Assert.Equal("member", promoted.Str("role"));
        Assert.Equal("member", (await viewer.GetAsync("/api/v1/me"))["role"].GetString());
        var ownerEmail = (await owner.GetAsync("/api/v1/me"))["user"].Str("email");
        (await owner.SendAsync(HttpMethod.Put, "/api/v1/org/members", new { email = ownerEmail, role = "member" }))
            .ExpectProblem(HttpStatusCode.Conflict, "last_owner");
        (await ownerBrowser.SendAsync(HttpMethod.Patch, "/api/v1/org", new { agent_lease_seconds = 60 })).Expect(HttpStatusCode.OK);
        Assert.Equal(60, (await owner.GetAsync("/api/v1/org"))["org"].GetProperty("agent_lease_seconds").GetInt32());
    }

    [Fact]
    public async Task Put_org_members_attaches_nobody_and_answers_alike_whether_or_not_the_email_has_an_account() // issue 24: membership by consent
    {
        var (owner, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var strangerEmail = $"stranger-{Guid.NewGuid():N}@example.com";
        var (stranger, _, _) = await ApiClient.SignUpAsync(server.BaseAddress, strangerEmail);

        var existing = (await owner.SendAsync(HttpMethod.Put, "/api/v1/org/members", new { email = strangerEmail, role = "member" }))
            .ExpectProblem(HttpStatusCode.NotFound, "not_found");
        var unknown = (await owner.SendAsync(HttpMethod.Put, "/api/v1/org/members", new { email = $"nobody-{Guid.NewGuid():N}@example.com", role = "member" }))
            .ExpectProblem(HttpStatusCode.NotFound, "not_found");
        Assert.Equal(Problem(unknown), Problem(existing));

        Assert.Single((await owner.GetAsync("/api/v1/org/members"))["members"].EnumerateArray());
        Assert.Single((await stranger.GetAsync("/api/v1/me/orgs"))["orgs"].EnumerateArray());
    }

    [Fact]
    public async Task An_invitee_joins_only_by_accepting_and_with_the_role_they_were_invited_to() // API.md Accounts: invitations
    {
        var (owner, _, signup) = await ApiClient.SignUpAsync(server.BaseAddress);
        var orgId = signup.GetProperty("org").Str("id");
        var email = $"invitee-{Guid.NewGuid():N}@example.com";
        var (inviteePat, invitee, _) = await ApiClient.SignUpAsync(server.BaseAddress, email);

        var created = (await owner.PostAsync("/api/v1/org/invitations", new { email, role = "member" })).Expect(HttpStatusCode.Created);
        var invitation = created["invitation"];
        Assert.Equal((email, "member"), (invitation.Str("email"), invitation.Str("role")));
        var expiresAt = invitation.GetProperty("expires_at").GetDateTimeOffset();
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(5), TimeSpan.FromDays(7));
        var token = created["accept_token"].GetString()!;

        // Nothing is attached until the invitee accepts.
        Assert.Single((await owner.GetAsync("/api/v1/org/members"))["members"].EnumerateArray());
        Assert.Single((await invitee.GetAsync("/api/v1/me/orgs"))["orgs"].EnumerateArray());
        (await invitee.PostAsync("/api/v1/auth/switch", new { org_id = orgId })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        var open = (await owner.GetAsync("/api/v1/org/invitations"))["invitations"].EnumerateArray().ToList();
        Assert.Equal(invitation.Str("id"), Assert.Single(open).Str("id"));

        var accepted = (await invitee.PostAsync("/api/v1/invitations/accept", new { accept_token = token })).Expect(HttpStatusCode.OK);
        Assert.Equal(orgId, accepted["org"].Str("id"));
        Assert.Equal("member", accepted["role"].GetString());
        Assert.Equal(2, (await invitee.GetAsync("/api/v1/me/orgs"))["orgs"].GetArrayLength());
        var members = (await owner.GetAsync("/api/v1/org/members"))["members"].EnumerateArray().ToList();
        Assert.Equal("member", members.Single(m => m.GetProperty("user").Str("email") == email).Str("role"));
        Assert.Empty((await owner.GetAsync("/api/v1/org/invitations"))["invitations"].EnumerateArray());
        Assert.Equal(orgId, (await invitee.PostAsync("/api/v1/auth/switch", new { org_id = orgId })).Expect(HttpStatusCode.OK)["org"].Str("id"));
        Assert.NotEqual(orgId, (await inviteePat.GetAsync("/api/v1/me"))["org"].Str("id")); // a token stays bound to its own org

        // Accepted once only; and inviting someone already a member is refused.
        (await invitee.PostAsync("/api/v1/invitations/accept", new { accept_token = token })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await owner.PostAsync("/api/v1/org/invitations", new { email, role = "owner" })).ExpectProblem(HttpStatusCode.Conflict, "already_member");
    }

    [Fact]
    public async Task Inviting_answers_alike_whether_or_not_the_email_has_an_account_and_a_newcomer_accepts_after_signing_up() // API.md Accounts: invitations
    {
        var (owner, _, signup) = await ApiClient.SignUpAsync(server.BaseAddress);
        var existingEmail = $"existing-{Guid.NewGuid():N}@example.com";
        await ApiClient.SignUpAsync(server.BaseAddress, existingEmail);
        var newcomerEmail = $"newcomer-{Guid.NewGuid():N}@example.com";

        var forExisting = (await owner.PostAsync("/api/v1/org/invitations", new { email = existingEmail, role = "viewer" })).Expect(HttpStatusCode.Created);
        var forNewcomer = (await owner.PostAsync("/api/v1/org/invitations", new { email = newcomerEmail, role = "viewer" })).Expect(HttpStatusCode.Created);
        Assert.Equal(Shape(forExisting.Body), Shape(forNewcomer.Body));

        var (_, newcomer, _) = await ApiClient.SignUpAsync(server.BaseAddress, newcomerEmail.ToUpperInvariant());
        var accepted = (await newcomer.PostAsync("/api/v1/invitations/accept", new { accept_token = forNewcomer["accept_token"].GetString() }))
            .Expect(HttpStatusCode.OK);
        Assert.Equal((signup.GetProperty("org").Str("id"), "viewer"), (accepted["org"].Str("id"), accepted["role"].GetString()));
    }

    [Fact]
    public async Task Only_the_invited_person_accepts_and_only_from_a_web_session() // API.md Accounts: the signed-in user's email must match
    {
        var (owner, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var email = $"invitee-{Guid.NewGuid():N}@example.com";
        var (inviteePat, invitee, _) = await ApiClient.SignUpAsync(server.BaseAddress, email);
        var (_, someoneElse, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var token = await owner.InviteAsync(email, "owner");

        (await someoneElse.PostAsync("/api/v1/invitations/accept", new { accept_token = token }))
            .ExpectProblem(HttpStatusCode.Forbidden, "invitation_email_mismatch");
        Assert.Single((await someoneElse.GetAsync("/api/v1/me/orgs"))["orgs"].EnumerateArray());
        (await inviteePat.PostAsync("/api/v1/invitations/accept", new { accept_token = token }))
            .ExpectProblem(HttpStatusCode.Forbidden, "cookie_required");
        Assert.Single((await owner.GetAsync("/api/v1/org/members"))["members"].EnumerateArray());

        // The refusals left the invitation open for its addressee.
        (await invitee.PostAsync("/api/v1/invitations/accept", new { accept_token = token })).Expect(HttpStatusCode.OK);
        Assert.Equal(2, (await owner.GetAsync("/api/v1/org/members"))["members"].GetArrayLength());
    }

    [Fact]
    public async Task Expired_withdrawn_or_replaced_invitations_cannot_be_accepted() // API.md Accounts: invitations (7 days)
    {
        var (owner, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var email = $"invitee-{Guid.NewGuid():N}@example.com";
        var (_, invitee, _) = await ApiClient.SignUpAsync(server.BaseAddress, email);

        var expired = await owner.InviteAsync(email, "member");
        await using (var db = await server.OpenDatabaseAsync())
        await using (var command = new Npgsql.NpgsqlCommand(
            "UPDATE invitations SET created_at = created_at - interval '8 days', expires_at = expires_at - interval '8 days' WHERE token_hash = sha256(convert_to($1, 'UTF8'))", db))
        {
            command.Parameters.AddWithValue(expired);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        (await invitee.PostAsync("/api/v1/invitations/accept", new { accept_token = expired })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        Assert.Empty((await owner.GetAsync("/api/v1/org/invitations"))["invitations"].EnumerateArray());

        var withdrawn = (await owner.PostAsync("/api/v1/org/invitations", new { email, role = "member" })).Expect(HttpStatusCode.Created);
        var withdrawnId = withdrawn["invitation"].Str("id");
        (await owner.SendAsync(HttpMethod.Delete, $"/api/v1/org/invitations/{withdrawnId}")).Expect(HttpStatusCode.NoContent);
        (await owner.SendAsync(HttpMethod.Delete, $"/api/v1/org/invitations/{withdrawnId}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await invitee.PostAsync("/api/v1/invitations/accept", new { accept_token = withdrawn["accept_token"].GetString() }))
            .ExpectProblem(HttpStatusCode.NotFound, "not_found");

        // Inviting again replaces the open invitation: only the newest token works.
        var replaced = await owner.InviteAsync(email, "member");
        var newest = await owner.InviteAsync(email, "viewer");
        Assert.Single((await owner.GetAsync("/api/v1/org/invitations"))["invitations"].EnumerateArray());
        (await invitee.PostAsync("/api/v1/invitations/accept", new { accept_token = replaced })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        Assert.Equal("viewer", (await invitee.PostAsync("/api/v1/invitations/accept", new { accept_token = newest })).Expect(HttpStatusCode.OK)["role"].GetString());
        Assert.Single((await invitee.GetAsync("/api/v1/me/orgs"))["orgs"].EnumerateArray(), o => o.Str("role") == "viewer");
    }

    [Fact]
    public async Task Invitations_are_the_owners_to_make_and_their_token_is_stored_hashed() // API.md Accounts: invitations
    {
        var (owner, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (member, _, _) = await owner.AddPersonAsync("member");
        var (_, agent) = await owner.CreateAgentAsync();
        var someone = $"someone-{Guid.NewGuid():N}@example.com";

        (await member.PostAsync("/api/v1/org/invitations", new { email = someone, role = "member" })).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        (await member.GetAsync("/api/v1/org/invitations")).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        (await agent.PostAsync("/api/v1/org/invitations", new { email = someone, role = "member" })).Expect(HttpStatusCode.Forbidden);
        (await owner.PostAsync("/api/v1/org/invitations", new { role = "member" })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        (await owner.PostAsync("/api/v1/org/invitations", new { email = "not an email", role = "member" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        (await owner.PostAsync("/api/v1/org/invitations", new { email = someone, role = "admin" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        (await member.PostAsync("/api/v1/invitations/accept", new { })).ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        (await member.PostAsync("/api/v1/invitations/accept", new { accept_token = "hd_inv_live_made_up" })).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await owner.SendAsync(HttpMethod.Delete, "/api/v1/org/invitations/not-an-id")).ExpectProblem(HttpStatusCode.NotFound, "not_found");

        var token = await owner.InviteAsync(someone, "member");
        Assert.StartsWith("hd_inv_live_", token);
        Assert.DoesNotContain(token, (await owner.GetAsync("/api/v1/org/invitations")).Body.ToString());
        await using var db = await server.OpenDatabaseAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT count(*) FILTER (WHERE token_hash = sha256(convert_to($1, 'UTF8'))), count(*) FILTER (WHERE i::text LIKE '%' || $1 || '%') FROM invitations i", db);
        command.Parameters.AddWithValue(token);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal((1L, 0L), (reader.GetInt64(0), reader.GetInt64(1))); // stored as its SHA-256 only
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

    private static string Problem(Reply reply) => $"{(int)reply.Status} {reply.Code} {reply["title"]} {reply["detail"]}";

    /// <summary>A JSON value's structure: property names and value kinds, not the values.</summary>
    private static string Shape(System.Text.Json.JsonElement e) => e.ValueKind switch
    {
        System.Text.Json.JsonValueKind.Object => "{" + string.Join(",", e.EnumerateObject().Select(p => $"{p.Name}:{Shape(p.Value)}")) + "}",
        System.Text.Json.JsonValueKind.Array => "[" + string.Join(",", e.EnumerateArray().Select(Shape)) + "]",
        _ => e.ValueKind.ToString(),
    };
}
