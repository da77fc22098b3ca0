using System.Net;
using System.Text.Json;
using Hourdini.Testing;
using Npgsql;

namespace Hourdini.Api.Tests;

/// <summary>
/// R28: reports group work by client, project, agent, source, user, day or ISO week in the caller's IANA time zone, with
/// human (active) and agent time apart; R20: money only ever totals per currency; R22: agents cannot read reports.
/// </summary>
public sealed class ReportsTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task Groups_by_client_and_project_total_each_currency_apart() // R28, R20
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var euroClient = await api.CreateClientAsync("Euro Co", "EUR", 120m);
        var dollarClient = await api.CreateClientAsync("Dollar Inc", "USD", 100m);
        var site = await api.CreateProjectAsync(euroClient, "Site", rate: 60m);
        var shop = await api.CreateProjectAsync(euroClient, "Shop");
        var app = await api.CreateProjectAsync(dollarClient, "App");
        await LogAsync(api, site, "2026-11-02T09:00:00Z", 3600); // 60.00 EUR
        await LogAsync(api, shop, "2026-11-03T09:00:00Z", 1800); // 60.00 EUR
        await LogAsync(api, shop, "2026-11-03T11:00:00Z", 900, billable: false); // worked, not billed
        await LogAsync(api, app, "2026-11-04T09:00:00Z", 5400); // 150.00 USD
        await LogAsync(api, app, "2026-10-31T09:00:00Z", 3600); // before the period

        var byClient = await ReportAsync(api, "from=2026-11-01&to=2026-11-30&group_by=client");
        Assert.Equal("client", byClient.Body.Str("group_by"));
        Assert.Equal("UTC", byClient.Body.Str("tz"));
        var groups = Groups(byClient);
        Assert.Equal([dollarClient, euroClient], groups.Select(g => g.Str("key")));
        Assert.Equal(["Dollar Inc", "Euro Co"], groups.Select(g => g.Str("label")));
        var euro = groups[1];
        Assert.Equal((5400L, 6300L, 0L, 0L, 3L), (euro.Long("billable_seconds"), euro.Long("active_seconds"), euro.Long("agent_seconds"),
            euro.Long("idle_seconds"), euro.Long("entries")));
        Assert.Equal([("EUR", "120.00")], Amounts(euro));
        Assert.Equal([("USD", "150.00")], Amounts(groups[0]));

        // R20: one total per currency, never a converted grand total.
        var totals = byClient["totals"].EnumerateArray().ToList();
        Assert.Equal(["EUR", "USD"], totals.Select(t => t.Str("currency")));
        Assert.Equal((5400L, 6300L, "120.00"), (totals[0].Long("billable_seconds"), totals[0].Long("active_seconds"), totals[0].Str("amount")));
        Assert.Equal((5400L, 5400L, "150.00"), (totals[1].Long("billable_seconds"), totals[1].Long("active_seconds"), totals[1].Str("amount")));

        var byProject = Groups(await ReportAsync(api, "from=2026-11-01&to=2026-11-30&group_by=project"));
        Assert.Equal([(app, "App", "150.00"), (shop, "Shop", "60.00"), (site, "Site", "60.00")],
            byProject.Select(g => (g.Str("key"), g.Str("label"), Amounts(g).Single().Amount)));
    }

    [Fact]
    public async Task A_day_that_mixes_currencies_lists_one_amount_per_currency() // R20
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var euro = await api.CreateProjectAsync(await api.CreateClientAsync("Euro Co", "EUR", 100m), "Euro work");
        var dollar = await api.CreateProjectAsync(await api.CreateClientAsync("Dollar Inc", "USD", 200m), "Dollar work");
        await LogAsync(api, euro, "2026-11-02T09:00:00Z", 3600);
        await LogAsync(api, dollar, "2026-11-02T13:00:00Z", 900);

        var day = Groups(await ReportAsync(api, "from=2026-11-02&to=2026-11-02&group_by=day")).Single();
        Assert.Equal("2026-11-02", day.Str("key"));
        Assert.Equal(4500, day.Long("billable_seconds"));
        Assert.Equal([("EUR", "100.00"), ("USD", "50.00")], Amounts(day));
    }

    [Theory]
    [InlineData("source", "manual", "Manual")]
    [InlineData("agent", null, "No agent")]
    [InlineData("day", "2026-11-04", "Wed 4 Nov 2026")]
    [InlineData("week", "2026-W45", "2 Nov – 8 Nov 2026")]
    public async Task Each_grouping_keys_its_groups_as_the_contract_says(string groupBy, string? key, string label) // R28
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Keys");
        await LogAsync(api, project, "2026-11-04T10:00:00Z", 600);

        var group = Groups(await ReportAsync(api, $"from=2026-11-01&to=2026-11-30&group_by={groupBy}")).Single();

        Assert.Equal(key, group.GetProperty("key").GetString());
        Assert.Equal(label, group.Str("label"));
        Assert.Equal(600, group.Long("active_seconds"));
    }

    [Fact]
    public async Task Grouping_by_user_keys_each_person_and_an_owner_sees_the_whole_org_a_member_only_their_own() // R28
    {
        var (owner, _, signup) = await ApiClient.SignUpAsync(server.BaseAddress);
        var ownerId = signup.GetProperty("user").Str("id");
        var project = await owner.CreateProjectAsync(await owner.CreateClientAsync(), "Team work");
        var (member, memberId, _) = await owner.AddPersonAsync("member");
        await LogAsync(owner, project, "2026-11-02T09:00:00Z", 3600);
        await LogAsync(member, project, "2026-11-02T10:00:00Z", 1200);

        var everyone = Groups(await ReportAsync(owner, "from=2026-11-01&to=2026-11-30&group_by=user"));
        Assert.Equal(new[] { (memberId, 1200L), (ownerId, 3600L) }.OrderBy(p => p.Item2), everyone.Select(g => (g.Str("key"), g.Long("active_seconds"))).OrderBy(p => p.Item2));
        Assert.All(everyone, g => Assert.Equal("Test User", g.Str("label")));

        var own = Groups(await ReportAsync(member, "from=2026-11-01&to=2026-11-30&group_by=user"));
        Assert.Equal([(memberId, 1200L)], own.Select(g => (g.Str("key"), g.Long("active_seconds"))));
    }

    [Fact]
    public async Task The_callers_time_zone_moves_an_entry_to_its_local_day_and_places_the_period() // R28
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Late night");
        await LogAsync(api, project, "2026-11-06T23:30:00Z", 1800); // Saturday 00:30 in Berlin

        Assert.Equal(["2026-11-06"], Keys(await ReportAsync(api, "from=2026-11-01&to=2026-11-30&group_by=day")));
        var berlin = await ReportAsync(api, "from=2026-11-01&to=2026-11-30&group_by=day&tz=Europe/Berlin");
        Assert.Equal("Europe/Berlin", berlin.Body.Str("tz"));
        Assert.Equal(["2026-11-07"], Keys(berlin));
        Assert.Equal(["2026-11-06"], Keys(await ReportAsync(api, "from=2026-11-01&to=2026-11-30&group_by=day&tz=America/Los_Angeles")));

        // Dates are whole local days: Saturday in Berlin holds the entry, Saturday in UTC does not.
        Assert.Single(Groups(await ReportAsync(api, "from=2026-11-07&to=2026-11-07&group_by=day&tz=Europe/Berlin")));
        Assert.Empty(Groups(await ReportAsync(api, "from=2026-11-07&to=2026-11-07&group_by=day")));
        Assert.Empty(Groups(await ReportAsync(api, "from=2026-11-07T00:00:00Z&to=2026-11-08T00:00:00Z&group_by=day&tz=Europe/Berlin")));
    }

    [Fact]
    public async Task ISO_week_keys_run_Monday_first_and_belong_to_the_week_numbering_year_across_new_year() // R28
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "New year");
        foreach (var day in new[] { "2025-12-28", "2025-12-29", "2025-12-31", "2026-01-04", "2026-01-05" })
        {
            await LogAsync(api, project, $"{day}T12:00:00Z", 600);
        }

        var weeks = await ReportAsync(api, "from=2025-12-20&to=2026-01-10&group_by=week");
        Assert.Equal(["2025-W52", "2026-W01", "2026-W02"], Keys(weeks));
        Assert.Equal([600L, 1800L, 600L], Groups(weeks).Select(g => g.Long("active_seconds")));
        Assert.Equal("29 Dec – 4 Jan 2026", Groups(weeks)[1].Str("label"));

        // 2026 has 53 ISO weeks: its last days, and the first Sunday of 2027, are week 53 (moved there by SQL: the API takes
        // no entry more than a day ahead, R24).
        var late = await LogAsync(api, project, "2026-11-02T12:00:00Z", 600);
        var later = await LogAsync(api, project, "2026-11-03T12:00:00Z", 600);
        var next = await LogAsync(api, project, "2026-11-04T12:00:00Z", 600);
        await MoveAsync(late, "2026-12-31T12:00:00Z");
        await MoveAsync(later, "2027-01-03T12:00:00Z");
        await MoveAsync(next, "2027-01-04T12:00:00Z");
        Assert.Equal(["2026-W53", "2027-W01"], Keys(await ReportAsync(api, "from=2026-12-28&to=2027-01-10&group_by=week")));
        Assert.Equal([1200L, 600L], Groups(await ReportAsync(api, "from=2026-12-28&to=2027-01-10&group_by=week")).Select(g => g.Long("active_seconds")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Human_and_agent_time_stay_apart_and_billable_seconds_follow_the_bill_agent_time_snapshot(bool billAgentTime) // R25, R28
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(rate: 36m), "Pairing", billAgentTime);
        var session = (await api.StartSessionAsync(project)).Str("id");
        await Task.Delay(1100);
        await api.BeatAsync(session, "agent");
        await Task.Delay(1100);
        var entry = (await api.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK)["entry"];
        var (active, agent) = (entry.Long("active_seconds"), entry.Long("agent_seconds"));
        Assert.True(active >= 1 && agent >= 1, $"active {active} s, agent {agent} s");
        var hands = await api.CreateProjectAsync(await api.CreateClientAsync("Hands", rate: 36m), "Hands-on");
        await LogAsync(api, hands, DateTimeOffset.UtcNow.AddHours(-3).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), 100);

        var report = await ReportAsync(api, $"from={Today(-1)}&to={Today(0)}&group_by=source");

        var bySource = Groups(report);
        Assert.Equal(["manual", "session"], bySource.Select(g => g.Str("key")));
        Assert.Equal((100L, 0L, 100L), (bySource[0].Long("active_seconds"), bySource[0].Long("agent_seconds"), bySource[0].Long("billable_seconds")));
        var run = bySource[1];
        Assert.Equal((active, agent, entry.Long("idle_seconds")), (run.Long("active_seconds"), run.Long("agent_seconds"), run.Long("idle_seconds")));
        Assert.Equal(active + (billAgentTime ? agent : 0), run.Long("billable_seconds"));
        Assert.Equal([("EUR", entry.Str("amount"))], Amounts(run));
        var total = report["totals"].EnumerateArray().Single();
        Assert.Equal((100 + active, agent, 100 + active + (billAgentTime ? agent : 0)),
            (total.Long("active_seconds"), total.Long("agent_seconds"), total.Long("billable_seconds")));
    }

    [Fact]
    public async Task Grouping_by_agent_keys_the_agent_and_puts_work_without_one_under_null() // R28
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Agents", billAgentTime: true);
        var (agentId, agent) = await api.CreateAgentAsync("builder");
        var session = (await agent.PostAsync("/api/v1/sessions", new { project_id = project, description = "run" })).Expect(HttpStatusCode.Created)["session"].Str("id");
        await Task.Delay(1100);
        (await agent.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK);
        await LogAsync(api, project, DateTimeOffset.UtcNow.AddHours(-3).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), 100);

        var byAgent = Groups(await ReportAsync(api, $"from={Today(-1)}&to={Today(0)}&group_by=agent"));

        Assert.Equal([agentId, null], byAgent.Select(g => g.GetProperty("key").GetString()));
        Assert.Equal(["builder", "No agent"], byAgent.Select(g => g.Str("label")));
        Assert.Equal(0, byAgent[0].Long("active_seconds"));
        Assert.True(byAgent[0].Long("agent_seconds") >= 1);
        Assert.Equal(0, byAgent[1].Long("agent_seconds"));
    }

    [Fact]
    public async Task A_viewer_reports_only_on_the_clients_granted_to_them()
    {
        var (owner, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var granted = await owner.CreateClientAsync("Granted Co");
        var other = await owner.CreateClientAsync("Other Co");
        await LogAsync(owner, await owner.CreateProjectAsync(granted, "Visible"), "2026-11-02T09:00:00Z", 600);
        await LogAsync(owner, await owner.CreateProjectAsync(other, "Hidden"), "2026-11-02T10:00:00Z", 900);
        var (viewer, viewerId, _) = await owner.AddPersonAsync("viewer");

        Assert.Empty(Groups(await ReportAsync(viewer, "from=2026-11-01&to=2026-11-30&group_by=client")));
        (await owner.SendAsync(HttpMethod.Put, $"/api/v1/clients/{granted}/viewers/{viewerId}")).Expect(HttpStatusCode.OK);

        var seen = await ReportAsync(viewer, "from=2026-11-01&to=2026-11-30&group_by=project");
        Assert.Equal(["Visible"], Groups(seen).Select(g => g.Str("label")));
        Assert.Equal(600, seen["totals"].EnumerateArray().Single().Long("active_seconds"));
    }

    [Fact]
    public async Task An_agent_token_cannot_read_reports() // R22
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (_, agent) = await api.CreateAgentAsync();

        (await agent.GetAsync("/api/v1/reports/summary?from=2026-11-01&to=2026-11-30&group_by=project"))
            .ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");
    }

    [Theory]
    [InlineData("from=2026-11-01&to=2026-11-30&group_by=tag")]
    [InlineData("from=2026-11-01&to=2026-11-30&group_by=")]
    [InlineData("from=2026-11-01&to=2026-11-30&group_by=day&tz=Mars/Olympus_Mons")]
    [InlineData("from=2026-11-01&to=2026-11-30&group_by=day&tz=../../etc/passwd")]
    [InlineData("from=2026-11-01&to=2026-11-30&group_by=day&tz=Pacific%20Standard%20Time")]
    [InlineData("from=2026-11-30&to=2026-11-01&group_by=day")]
    [InlineData("from=2026-11-01T10:00:00Z&to=2026-11-01T10:00:00Z&group_by=day")]
    [InlineData("from=2025-01-01&to=2026-01-03&group_by=week")]
    [InlineData("to=2026-11-30&group_by=day")]
    [InlineData("from=2026-11-01&group_by=day")]
    [InlineData("from=yesterday&to=2026-11-30&group_by=day")]
    [InlineData("from=2026-02-30&to=2026-03-01&group_by=day")]
    [InlineData("from=1999-12-01&to=1999-12-31&group_by=day")]
    [InlineData("from=2150-01-01&to=2150-01-31&group_by=day")]
    public async Task Bad_parameters_are_refused_as_validation_failed(string query) // R24: never a 5xx
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);

        (await api.GetAsync($"/api/v1/reports/summary?{query}")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
    }

    [Fact]
    public async Task A_whole_leap_year_is_one_report_and_group_by_defaults_to_project()
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);

        var report = await ReportAsync(api, "from=2024-01-01&to=2024-12-31&tz=Asia/Tokyo");
        Assert.Equal(("project", "Asia/Tokyo"), (report.Body.Str("group_by"), report.Body.Str("tz")));
        Assert.Empty(Groups(report));
        Assert.Empty(report["totals"].EnumerateArray());
    }

    private static string Today(int days) => DateTime.UtcNow.AddDays(days).ToString("yyyy-MM-dd");

    private static async Task<Reply> ReportAsync(ApiClient api, string query) =>
        (await api.GetAsync($"/api/v1/reports/summary?{query}")).Expect(HttpStatusCode.OK);

    private static List<JsonElement> Groups(Reply report) => report["groups"].EnumerateArray().ToList();

    private static List<string?> Keys(Reply report) => Groups(report).Select(g => g.GetProperty("key").GetString()).ToList();

    private static List<(string Currency, string Amount)> Amounts(JsonElement group) =>
        group.GetProperty("amounts").EnumerateArray().Select(a => (a.Str("currency"), a.Str("amount"))).ToList();

    private static async Task<string> LogAsync(ApiClient api, string project, string start, int seconds, bool billable = true) =>
        (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = start, duration_seconds = seconds, billable }))
        .Expect(HttpStatusCode.Created)["time_entry"].Str("id");

    /// <summary>Moves an entry to a time the API would not take yet (R24 allows at most a day ahead), keeping its length.</summary>
    private async Task MoveAsync(string entryId, string start)
    {
        await using var connection = await server.OpenDatabaseAsync();
        await using var move = new NpgsqlCommand(
            "UPDATE time_entries SET ended_at = $1::timestamptz + (ended_at - started_at), started_at = $1::timestamptz WHERE id = $2::uuid", connection)
        {
            Parameters = { new() { Value = start }, new() { Value = entryId } },
        };
        Assert.Equal(1, await move.ExecuteNonQueryAsync());
    }
}
