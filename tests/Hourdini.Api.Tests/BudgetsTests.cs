using System.Net;
using System.Text.Json;
using Hourdini.Testing;
using Npgsql;

namespace Hourdini.Api.Tests;

/// <summary>
/// R32: a project's budget in hours or money with warning and critical thresholds; usage counts billable entries and
/// the live billable time of open sessions; each threshold crossed is recorded once; agents see their project's budget
/// when they start a session and when they pull updates.
/// </summary>
public sealed class BudgetsTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task An_hours_budget_counts_billable_entries_and_records_each_threshold_once()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(), "Budgeted");
        var path = $"/api/v1/projects/{project}/budget";
        var set = (await pat.SendAsync(HttpMethod.Put, path, new { kind = "hours", limit = 1 })).Expect(HttpStatusCode.OK)["budget"];
        Assert.Equal(("hours", 80, 100, "0.00", "ok"), (set.Str("kind"), set.GetProperty("warn_percent").GetInt32(), set.GetProperty("critical_percent").GetInt32(), set.Str("used"), set.Str("status")));

        await EntryAsync(pat, project, 3000, billable: true);
        await EntryAsync(pat, project, 3600, billable: false); // not billable: does not count
        var warn = (await pat.GetAsync(path)).Expect(HttpStatusCode.OK)["budget"];
        Assert.Equal(("0.83", 83.3m, "warn"), (warn.Str("used"), warn.GetProperty("used_percent").GetDecimal(), warn.Str("status")));
        (await pat.GetAsync(path)).Expect(HttpStatusCode.OK);
        Assert.Equal(1L, await CrossingsAsync(project, "warn"));

        await EntryAsync(pat, project, 900, billable: true);
        Assert.Equal("critical", (await pat.GetAsync(path)).Expect(HttpStatusCode.OK)["budget"].Str("status"));
        (await pat.GetAsync(path)).Expect(HttpStatusCode.OK);
        Assert.Equal((1L, 1L), (await CrossingsAsync(project, "warn"), await CrossingsAsync(project, "critical")));

        Assert.Equal(HttpStatusCode.NoContent, (await pat.SendAsync(HttpMethod.Delete, path)).Status);
        Assert.Equal(JsonValueKind.Null, (await pat.GetAsync(path)).Expect(HttpStatusCode.OK)["budget"].ValueKind);
    }

    [Fact]
    public async Task A_money_budget_counts_an_open_sessions_live_time_and_the_agent_sees_its_status_but_no_amounts() // R32, R22
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(rate: 3600m), "Live", billAgentTime: true);
        (await pat.SendAsync(HttpMethod.Put, $"/api/v1/projects/{project}/budget", new { kind = "money", limit = 10, warn_percent = 50, critical_percent = 90 }))
            .Expect(HttpStatusCode.OK);
        var (_, agent) = await pat.CreateAgentAsync();

        var started = (await agent.PostAsync("/api/v1/sessions", new { project_id = project })).Expect(HttpStatusCode.Created);
        Assert.Equal("money", started["budget"].Str("kind"));
        await Task.Delay(1500); // an agent beat at 1 per second (3600/h): about 1.50 of 10

        // The person sees the money.
        var owners = (await pat.GetAsync($"/api/v1/projects/{project}/budget")).Expect(HttpStatusCode.OK)["budget"];
        Assert.InRange(decimal.Parse(owners.Str("used"), System.Globalization.CultureInfo.InvariantCulture), 1.4m, 5m);
        Assert.Equal((10m, "EUR"), (owners.GetProperty("limit").GetDecimal(), owners.Str("currency"))); // in the client's currency (R20)

        // The agent sees how far along the budget is, never an amount: not at start, not at pull; the budget itself it may not read.
        var pulled = (await agent.GetAsync($"/api/v1/agents/{started["session"].Str("agent_id")}/updates")).Expect(HttpStatusCode.OK)["budget"];
        (await agent.GetAsync($"/api/v1/projects/{project}/budget")).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");
        foreach (var seen in new[] { started["budget"], pulled })
        {
            Assert.Equal(JsonValueKind.Null, seen.GetProperty("limit").ValueKind);
            Assert.Equal(JsonValueKind.Null, seen.GetProperty("used").ValueKind);
            Assert.Equal((50, 90), (seen.GetProperty("warn_percent").GetInt32(), seen.GetProperty("critical_percent").GetInt32()));
        }

        Assert.InRange(pulled.GetProperty("used_percent").GetDecimal(), 14m, 50m);
        Assert.Equal("ok", pulled.Str("status"));
    }

    [Fact]
    public async Task An_agent_sees_an_hours_budgets_hours() // R32: hours are not amounts (R22)
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(rate: 100m), "Hours", billAgentTime: true);
        (await pat.SendAsync(HttpMethod.Put, $"/api/v1/projects/{project}/budget", new { kind = "hours", limit = 40 })).Expect(HttpStatusCode.OK);
        var (_, agent) = await pat.CreateAgentAsync();

        var budget = (await agent.PostAsync("/api/v1/sessions", new { project_id = project })).Expect(HttpStatusCode.Created)["budget"];
        Assert.Equal(("hours", 40m, "0.00"), (budget.Str("kind"), budget.GetProperty("limit").GetDecimal(), budget.Str("used")));
    }

    [Fact]
    public async Task Without_a_budget_an_agent_sees_null_and_bad_budgets_are_refused()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(), "Free");
        var (_, agent) = await pat.CreateAgentAsync();
        var started = (await agent.PostAsync("/api/v1/sessions", new { project_id = project })).Expect(HttpStatusCode.Created);
        Assert.Equal(JsonValueKind.Null, started["budget"].ValueKind);

        var path = $"/api/v1/projects/{project}/budget";
        foreach (var (bad, field) in new (object, string?)[]
        {
            (new { kind = "days", limit = 1 }, null), (new { kind = "hours", limit = 0 }, "limit"),
            (new { kind = "hours", limit = 10, warn_percent = 90, critical_percent = 80 }, "warn_percent"),
            (new { kind = "hours", limit = 10, critical_percent = 1001 }, "critical_percent"), (new { kind = "money", limit = 1.234 }, "limit"),
        })
        {
            var problem = (await pat.SendAsync(HttpMethod.Put, path, bad)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
            if (field is not null)
            {
                Assert.Equal(field, problem["field"].GetString()); // a form says it next to that field
            }
        }

        (await agent.GetAsync(path)).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed"); // R22: through its work only
        (await pat.SendAsync(HttpMethod.Put, $"/api/v1/projects/{Guid.NewGuid()}/budget", new { kind = "hours", limit = 1 }))
            .ExpectProblem(HttpStatusCode.NotFound, "not_found");
    }

    private static async Task EntryAsync(ApiClient pat, string project, int seconds, bool billable) =>
        (await pat.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-01-05T09:00:00Z", duration_seconds = seconds, billable }))
            .Expect(HttpStatusCode.Created);

    private async Task<long> CrossingsAsync(string project, string threshold)
    {
        await using var connection = await server.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM budget_crossings WHERE project_id = '{project}' AND threshold = '{threshold}'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
