using System.Globalization;
using System.Net;
using System.Text.Json;
using Hourdini.Testing;
using Npgsql;
using UglyToad.PdfPig;

namespace Hourdini.Api.Tests;

/// <summary>
/// R31: invoices drafted from a client's billable, uninvoiced entries; lines per project, kind (hands-on, agent-run) and
/// rate, each rounded half to even to the cent; one currency per client (R20); the org's gapless yearly numbers; issuing
/// locks the entries (R27: not even a correction), voiding unlocks them and keeps the number; a PDF per issued invoice.
/// </summary>
public sealed class InvoicesTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    private static readonly string Today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_draft_prices_each_line_to_the_cent_with_agent_run_at_the_agent_rate_and_rounds_half_even_per_line()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await pat.CreateClientAsync("Acme", "EUR", 90m);
        var build = await pat.CreateProjectAsync(client, "Build", billAgentTime: true);
        var pennies = await pat.CreateProjectAsync(client, "Pennies", rate: 1m);
        var other = await pat.CreateProjectAsync(await pat.CreateClientAsync("Globex", "USD", 200m), "Elsewhere");

        var hour = await ManualAsync(pat, build, "2026-01-05T09:00:00Z", 3600);      // 90.00
        await ManualAsync(pat, build, "2026-01-06T09:00:00Z", 1800);                 // 45.00
        var older = await ManualAsync(pat, build, "2026-01-07T09:00:00Z", 900);      // at a rate snapshotted earlier: 120/h
        await SqlAsync("UPDATE time_entries SET rate = 120 WHERE id = $1", Guid.Parse(older));
        var session = await AgentSessionEntryAsync(pat, build, active: 1200, agent: 2400, agentRate: 150m); // R26: 1200 s @ 90 + 2400 s @ 150
        await ManualAsync(pat, pennies, "2026-01-05T10:00:00Z", 18);                 // 0.005 on its own
        await ManualAsync(pat, pennies, "2026-01-05T11:00:00Z", 36);                 // 54 s together: 0.015, half to even: 0.02
        var unbilled = await ManualAsync(pat, build, "2026-01-08T09:00:00Z", 600);
        (await pat.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{unbilled}", new { billable = false })).Expect(HttpStatusCode.OK);
        await ManualAsync(pat, build, "2025-12-31T09:00:00Z", 600);                  // before the period
        await ManualAsync(pat, other, "2026-01-05T09:00:00Z", 3600);                 // another client, another currency

        var invoice = (await pat.PostAsync("/api/v1/invoices", new { client_id = client, from = "2026-01-01", to = Today, tax_percent = 7.5m }))
            .Expect(HttpStatusCode.Created)["invoice"];

        Assert.Equal("draft", invoice.Str("status"));
        Assert.Equal(JsonValueKind.Null, invoice.GetProperty("number").ValueKind);
        Assert.Equal("EUR", invoice.Str("currency")); // R20: the client's currency, the USD work is not in it
        var lines = invoice.GetProperty("lines").EnumerateArray()
            .Select(l => (Project: l.Str("project_id"), Kind: l.Str("kind"), Seconds: l.Long("seconds"), Rate: l.Str("rate"), Amount: l.Str("amount")))
            .ToList();
        Assert.Equal(
            [
                (build, "hands_on", 3600 + 1800 + 1200, "90.00", "165.00"), // R19: each entry at its own snapshotted rate
                (build, "hands_on", 900, "120.00", "30.00"),
                (build, "agent_run", 2400, "150.00", "100.00"),
                (pennies, "hands_on", 54, "1.00", "0.02"),
            ],
            lines);
        Assert.Equal("295.02", invoice.Str("subtotal"));
        Assert.Equal("22.13", invoice.Str("tax")); // 22.1265
        Assert.Equal("317.15", invoice.Str("total"));
        Assert.Equal(6, invoice.GetProperty("entry_ids").GetArrayLength());
        Assert.Contains(session, invoice.GetProperty("entry_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains(hour, invoice.GetProperty("entry_ids").EnumerateArray().Select(e => e.GetString()));

        // The same lines read back; the other client's draft is in its own currency.
        Assert.Equal(invoice.ToString(), (await pat.GetAsync($"/api/v1/invoices/{invoice.Str("id")}")).Expect(HttpStatusCode.OK)["invoice"].ToString());
        var usd = (await pat.PostAsync("/api/v1/invoices", new { client_id = (await ClientOfAsync(pat, other)), from = "2026-01-01", to = Today }))
            .Expect(HttpStatusCode.Created)["invoice"];
        Assert.Equal("USD", usd.Str("currency"));
        Assert.Equal("200.00", usd.Str("total"));
        Assert.Equal(JsonValueKind.Null, usd.GetProperty("tax_percent").ValueKind);
    }

    [Fact]
    public async Task A_corrected_entry_bills_its_corrected_duration_split_as_its_session_billed_it()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await pat.CreateClientAsync("Initech", "EUR", 60m);
        var project = await pat.CreateProjectAsync(client, "Corrected", billAgentTime: true);
        var entry = await AgentSessionEntryAsync(pat, project, active: 1200, agent: 2400, agentRate: 120m);
        // R27: 3,600 s billed corrected to 1,800 s: a third hands-on, two thirds agent-run, as hd_entry_amount scales it.
        await SqlAsync("UPDATE time_entries SET duration_seconds = 1800, original_duration_seconds = 3600, corrected_at = now() WHERE id = $1", Guid.Parse(entry));
        var amount = (await pat.GetAsync($"/api/v1/time-entries/{entry}")).Expect(HttpStatusCode.OK)["time_entry"].Str("amount");

        var invoice = (await pat.PostAsync("/api/v1/invoices", new { client_id = client, from = "2026-01-01", to = Today })).Expect(HttpStatusCode.Created)["invoice"];

        var lines = invoice.GetProperty("lines").EnumerateArray().Select(l => (l.Str("kind"), l.Long("seconds"), l.Str("amount"))).ToList();
        Assert.Equal([("hands_on", 600L, "10.00"), ("agent_run", 1200L, "40.00")], lines);
        Assert.Equal("50.00", amount);
        Assert.Equal(amount, invoice.Str("total")); // the invoice bills what the entry is worth
    }

    [Fact]
    public async Task Concurrent_issues_on_two_nodes_take_the_numbers_one_to_n_with_no_duplicate_and_no_gap()
    {
        const int Drafts = 12;
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        await using var second = await HourdiniServer.StartNodeAsync(server.ConnectionString);
        using var there = ApiClient.WithToken(second.BaseAddress, pat.Http.DefaultRequestHeaders.Authorization!.Parameter!);
        var client = await pat.CreateClientAsync("Hooli", "EUR", 100m);
        var project = await pat.CreateProjectAsync(client, "Daily");
        var ids = new List<string>();
        for (var day = 1; day <= Drafts; day++)
        {
            var date = $"2026-02-{day:00}";
            await ManualAsync(pat, project, $"{date}T09:00:00Z", 3600);
            ids.Add((await pat.PostAsync("/api/v1/invoices", new { client_id = client, from = date, to = date })).Expect(HttpStatusCode.Created)["invoice"].Str("id"));
        }

        using var start = new SemaphoreSlim(0);
        var issues = ids.Select((id, i) => Task.Run(async () =>
        {
            await start.WaitAsync();
            return (await (i % 2 == 0 ? pat : there).PostAsync($"/api/v1/invoices/{id}/issue")).Expect(HttpStatusCode.OK)["invoice"].Str("number");
        })).ToList();
        start.Release(Drafts);
        var numbers = await Task.WhenAll(issues);

        var year = DateTime.UtcNow.Year;
        Assert.Equal(Enumerable.Range(1, Drafts).Select(n => $"INV-{year}-{n:0000}"), numbers.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_issued_invoice_locks_its_entries_against_every_change_and_voiding_unlocks_them()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await pat.CreateClientAsync("Umbrella", "EUR", 120m);
        var project = await pat.CreateProjectAsync(client, "Locks", billAgentTime: true);
        var manual = await ManualAsync(pat, project, "2026-03-02T09:00:00Z", 1800);
        var fromSession = await AgentSessionEntryAsync(pat, project, active: 600, agent: 600, agentRate: null);
        var invoice = await DraftAsync(pat, client);

        var issued = (await pat.PostAsync($"/api/v1/invoices/{invoice}/issue")).Expect(HttpStatusCode.OK)["invoice"];
        Assert.Equal("issued", issued.Str("status"));
        Assert.Equal($"INV-{DateTime.UtcNow.Year}-0001", issued.Str("number"));
        Assert.Equal(invoice, (await pat.GetAsync($"/api/v1/time-entries/{manual}")).Expect(HttpStatusCode.OK)["time_entry"].Str("invoice_id"));

        // R31, R27: no edit, no correction, no delete.
        (await pat.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{manual}", new { description = "changed" })).ExpectProblem(HttpStatusCode.Conflict, "entry_invoiced");
        (await pat.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{manual}", new { billable = false })).ExpectProblem(HttpStatusCode.Conflict, "entry_invoiced");
        (await pat.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{fromSession}", new { duration_seconds = 60 })).ExpectProblem(HttpStatusCode.Conflict, "entry_invoiced");
        (await pat.SendAsync(HttpMethod.Delete, $"/api/v1/time-entries/{manual}")).ExpectProblem(HttpStatusCode.Conflict, "entry_invoiced");
        (await pat.SendAsync(HttpMethod.Delete, $"/api/v1/time-entries/{fromSession}")).ExpectProblem(HttpStatusCode.Conflict, "entry_invoiced");
        (await pat.SendAsync(HttpMethod.Delete, $"/api/v1/invoices/{invoice}")).ExpectProblem(HttpStatusCode.Conflict, "invoice_issued");
        (await pat.PostAsync($"/api/v1/invoices/{invoice}/issue")).ExpectProblem(HttpStatusCode.Conflict, "invoice_issued");
        // The database refuses on its own too.
        var refused = await Assert.ThrowsAsync<PostgresException>(() => SqlAsync("UPDATE time_entries SET description = 'x' WHERE id = $1", Guid.Parse(manual)));
        Assert.Equal("HD431", refused.SqlState);
        await Assert.ThrowsAsync<PostgresException>(() => SqlAsync("DELETE FROM time_entries WHERE id = $1", Guid.Parse(fromSession)));
        // Nothing left to draft: both entries are invoiced.
        (await pat.PostAsync("/api/v1/invoices", new { client_id = client, from = "2026-01-01", to = Today })).ExpectProblem(HttpStatusCode.Conflict, "nothing_to_invoice");

        var voided = (await pat.PostAsync($"/api/v1/invoices/{invoice}/void")).Expect(HttpStatusCode.OK)["invoice"];
        Assert.Equal("void", voided.Str("status"));
        Assert.Equal(issued.Str("number"), voided.Str("number"));
        Assert.Equal(JsonValueKind.Null, (await pat.GetAsync($"/api/v1/time-entries/{manual}")).Expect(HttpStatusCode.OK)["time_entry"].GetProperty("invoice_id").ValueKind);
        (await pat.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{manual}", new { description = "changed" })).Expect(HttpStatusCode.OK);
        (await pat.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{fromSession}", new { duration_seconds = 60 })).Expect(HttpStatusCode.OK);
        (await pat.PostAsync($"/api/v1/invoices/{invoice}/void")).ExpectProblem(HttpStatusCode.Conflict, "invoice_void");
    }

    [Fact]
    public async Task A_deleted_draft_numbers_nothing_and_a_voided_number_is_never_reused()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await pat.CreateClientAsync("Soylent", "EUR", 100m);
        var project = await pat.CreateProjectAsync(client, "Numbers");
        await ManualAsync(pat, project, "2026-04-01T09:00:00Z", 3600);
        var year = DateTime.UtcNow.Year;

        var deleted = await DraftAsync(pat, client);
        (await pat.PostAsync($"/api/v1/invoices/{deleted}/void")).ExpectProblem(HttpStatusCode.Conflict, "invoice_not_issued");
        (await pat.SendAsync(HttpMethod.Delete, $"/api/v1/invoices/{deleted}")).Expect(HttpStatusCode.NoContent);
        (await pat.GetAsync($"/api/v1/invoices/{deleted}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");

        var first = await DraftAsync(pat, client);
        Assert.Equal($"INV-{year}-0001", (await pat.PostAsync($"/api/v1/invoices/{first}/issue")).Expect(HttpStatusCode.OK)["invoice"].Str("number"));
        (await pat.PostAsync($"/api/v1/invoices/{first}/void")).Expect(HttpStatusCode.OK);

        var second = await DraftAsync(pat, client); // the entries are free again
        Assert.Equal($"INV-{year}-0002", (await pat.PostAsync($"/api/v1/invoices/{second}/issue")).Expect(HttpStatusCode.OK)["invoice"].Str("number"));

        var listed = (await pat.GetAsync("/api/v1/invoices?status=void")).Expect(HttpStatusCode.OK)["invoices"];
        Assert.Equal($"INV-{year}-0001", Assert.Single(listed.EnumerateArray()).Str("number"));
        Assert.Equal(2, (await pat.GetAsync("/api/v1/invoices")).Expect(HttpStatusCode.OK)["invoices"].GetArrayLength());
    }

    [Fact]
    public async Task A_draft_whose_entries_changed_is_refused_on_issue_and_takes_no_number()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await pat.CreateClientAsync("Cyberdyne", "EUR", 100m);
        var project = await pat.CreateProjectAsync(client, "Outdated");
        var entry = await ManualAsync(pat, project, "2026-05-04T09:00:00Z", 3600);
        var stale = await DraftAsync(pat, client);
        var rival = await DraftAsync(pat, client);

        (await pat.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{entry}", new { duration_seconds = 1800 })).Expect(HttpStatusCode.OK);
        (await pat.PostAsync($"/api/v1/invoices/{stale}/issue")).ExpectProblem(HttpStatusCode.Conflict, "invoice_outdated");

        var fresh = await DraftAsync(pat, client);
        Assert.Equal($"INV-{DateTime.UtcNow.Year}-0001", (await pat.PostAsync($"/api/v1/invoices/{fresh}/issue")).Expect(HttpStatusCode.OK)["invoice"].Str("number"));
        // A second draft of the same entries cannot issue them twice.
        (await pat.PostAsync($"/api/v1/invoices/{rival}/issue")).ExpectProblem(HttpStatusCode.Conflict, "invoice_outdated");
    }

    [Fact]
    public async Task The_pdf_shows_the_invoices_total_and_hours_that_add_up_to_its_entries()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await pat.CreateClientAsync("Wonka Industries", "EUR", 95m);
        var project = await pat.CreateProjectAsync(client, "Chocolate factory", billAgentTime: true);
        await ManualAsync(pat, project, "2026-06-01T09:00:00Z", 5025);
        await ManualAsync(pat, project, "2026-06-02T09:00:00Z", 1234);
        await AgentSessionEntryAsync(pat, project, active: 700, agent: 3000, agentRate: 40m);
        var invoice = await DraftAsync(pat, client, taxPercent: 19m);
        (await pat.GetAsync($"/api/v1/invoices/{invoice}/pdf")).ExpectProblem(HttpStatusCode.Conflict, "invoice_not_issued");
        var issued = (await pat.PostAsync($"/api/v1/invoices/{invoice}/issue")).Expect(HttpStatusCode.OK)["invoice"];

        using var response = await pat.Http.GetAsync($"/api/v1/invoices/{invoice}/pdf");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/pdf", response.Content.Headers.ContentType!.MediaType);
        using var pdf = PdfDocument.Open(await response.Content.ReadAsByteArrayAsync());
        var text = string.Join("\n", pdf.GetPages().Select(p => string.Join(" ", p.GetWords().Select(w => w.Text))));

        Assert.Contains(issued.Str("number"), text);
        Assert.Contains("Wonka Industries", text);
        Assert.Contains("Test User", text); // the org is named after the person who signed up
        Assert.Contains($"Total EUR {Grouped(issued.Str("total"))}", text);
        Assert.Contains($"Subtotal {Grouped(issued.Str("subtotal"))}", text);
        var hours = System.Text.RegularExpressions.Regex.Match(text, @"Total hours (\d+):(\d\d):(\d\d)");
        Assert.True(hours.Success, text);
        var pdfSeconds = (long.Parse(hours.Groups[1].Value) * 3600) + (long.Parse(hours.Groups[2].Value) * 60) + long.Parse(hours.Groups[3].Value);
        long entrySeconds = 0;
        foreach (var id in issued.GetProperty("entry_ids").EnumerateArray())
        {
            entrySeconds += (await pat.GetAsync($"/api/v1/time-entries/{id.GetString()}")).Expect(HttpStatusCode.OK)["time_entry"].Long("duration_seconds");
        }

        Assert.Equal(5025 + 1234 + 3700, entrySeconds);
        Assert.Equal(entrySeconds, pdfSeconds);
    }

    [Theory]
    [InlineData("{\"client_id\":\"{client}\",\"from\":\"2026-02-01\",\"to\":\"2026-01-01\"}", 422, "validation_failed")]
    [InlineData("{\"client_id\":\"{client}\",\"from\":\"yesterday\",\"to\":\"2026-01-01\"}", 422, "validation_failed")]
    [InlineData("{\"client_id\":\"{client}\",\"from\":\"2026-01-01\",\"to\":\"2026-01-31\",\"tax_percent\":101}", 422, "validation_failed")]
    [InlineData("{\"client_id\":\"{client}\",\"from\":\"2026-01-01\",\"to\":\"2026-01-31\",\"tax_percent\":1.005}", 422, "validation_failed")]
    [InlineData("{\"client_id\":\"{client}\",\"from\":\"2020-01-01\",\"to\":\"2026-01-31\"}", 422, "validation_failed")]
    [InlineData("{\"from\":\"2026-01-01\",\"to\":\"2026-01-31\"}", 422, "validation_failed")]
    [InlineData("{\"client_id\":\"0197a7a0-0000-7000-8000-000000000000\",\"from\":\"2026-01-01\",\"to\":\"2026-01-31\"}", 404, "not_found")]
    [InlineData("{\"client_id\":\"{client}\",\"from\":\"2026-01-01\",\"to\":\"2026-01-31\"}", 409, "nothing_to_invoice")]
    public async Task A_bad_draft_request_is_refused_with_a_stable_code(string body, int status, string code)
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await pat.CreateClientAsync();

        (await pat.PostAsync("/api/v1/invoices", body.Replace("{client}", client))).ExpectProblem((HttpStatusCode)status, code);
        (await pat.GetAsync("/api/v1/invoices?status=paid")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
    }

    [Fact]
    public async Task Agents_are_refused_viewers_only_read_and_another_org_sees_nothing()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await pat.CreateClientAsync("Tyrell", "EUR", 100m);
        await ManualAsync(pat, await pat.CreateProjectAsync(client, "Scope"), "2026-07-01T09:00:00Z", 600);
        var invoice = await DraftAsync(pat, client);
        var (_, agent) = await pat.CreateAgentAsync();
        var (viewer, _, _) = await pat.AddPersonAsync("viewer");
        var (stranger, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);

        (await agent.GetAsync("/api/v1/invoices")).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed"); // R22
        (await agent.PostAsync($"/api/v1/invoices/{invoice}/issue")).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");
        (await viewer.PostAsync("/api/v1/invoices", new { client_id = client, from = "2026-01-01", to = Today })).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        (await viewer.PostAsync($"/api/v1/invoices/{invoice}/issue")).ExpectProblem(HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0, (await viewer.GetAsync("/api/v1/invoices")).Expect(HttpStatusCode.OK)["invoices"].GetArrayLength()); // no client granted
        (await stranger.GetAsync($"/api/v1/invoices/{invoice}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await stranger.PostAsync($"/api/v1/invoices/{invoice}/issue")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await stranger.SendAsync(HttpMethod.Delete, $"/api/v1/invoices/{invoice}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await pat.GetAsync($"/api/v1/invoices/{invoice}")).Expect(HttpStatusCode.OK);
    }

    private static string Grouped(string amount) =>
        decimal.Parse(amount, CultureInfo.InvariantCulture).ToString("#,##0.00", CultureInfo.InvariantCulture);

    private static async Task<string> DraftAsync(ApiClient pat, string client, decimal? taxPercent = null) =>
        (await pat.PostAsync("/api/v1/invoices", new { client_id = client, from = "2026-01-01", to = Today, tax_percent = taxPercent }))
        .Expect(HttpStatusCode.Created)["invoice"].Str("id");

    private static async Task<string> ManualAsync(ApiClient pat, string project, string startedAt, int seconds) =>
        (await pat.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = startedAt, duration_seconds = seconds }))
        .Expect(HttpStatusCode.Created)["time_entry"].Str("id");

    private static async Task<string> ClientOfAsync(ApiClient pat, string project) =>
        (await pat.GetAsync($"/api/v1/projects")).Expect(HttpStatusCode.OK)["projects"].EnumerateArray().First(p => p.Str("id") == project).Str("client_id");

    /// <summary>
    /// A real session's entry with agent time billed, its split then set to exact figures (and an agent rate snapshot,
    /// R26) in the database, so amounts are known to the cent rather than to the timing of a test.
    /// </summary>
    private async Task<string> AgentSessionEntryAsync(ApiClient pat, string project, long active, long agent, decimal? agentRate)
    {
        var session = (await pat.StartSessionAsync(project, "agent work")).Str("id");
        await pat.BeatAsync(session, "agent");
        await Task.Delay(1100); // a second of billed agent time, so the session writes an entry
        var entry = (await pat.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK)["entry"];
        var id = entry.ValueKind == JsonValueKind.Object ? entry.Str("id") : await SessionEntryAsync(session);
        await SqlAsync(
            """
            UPDATE time_entries SET active_seconds = $2, agent_seconds = $3, agent_billed = true, duration_seconds = $2 + $3, agent_rate = $4,
                ended_at = started_at + make_interval(secs => $2 + $3)
            WHERE id = $1
            """,
            Guid.Parse(id), active, agent, (object?)agentRate ?? DBNull.Value);
        return id;
    }

    private async Task<string> SessionEntryAsync(string session)
    {
        await using var db = await server.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM time_entries WHERE session_id = $1", db) { Parameters = { new() { Value = Guid.Parse(session) } } };
        return ((Guid)(await command.ExecuteScalarAsync())!).ToString();
    }

    private async Task SqlAsync(string sql, params object[] parameters)
    {
        await using var db = await server.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(sql, db);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync();
    }
}
