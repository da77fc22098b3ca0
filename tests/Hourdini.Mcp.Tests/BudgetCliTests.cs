using System.Globalization;
using System.Net;
using System.Text.Json;
using Hourdini.Testing;

namespace Hourdini.Mcp.Tests;

/// <summary>R32 from the terminal: <c>hourdini budget show|set|remove PROJECT</c>, a budget in hours or in the client's money.</summary>
public sealed class BudgetCliTests(HourdiniServer server) : IClassFixture<HourdiniServer>, IDisposable
{
    private readonly string config = Directory.CreateTempSubdirectory("hourdini-cli-budget-").FullName;

    [Fact]
    public async Task A_budget_in_hours_is_set_shown_changed_and_removed_by_project_name() // R32
    {
        var (human, project) = await SignedInWithTimeAsync(5400); // 1.5 billable hours

        var none = await Run("budget", "show", "vaccine");
        Assert.True(none.Exit == 0, none.Err);
        Assert.Empty(none.Out); // piped: no row, and the note on standard error
        Assert.Equal("Vaccine portal has no budget. Set one with: hourdini budget set \"Vaccine portal\" --hours 40 (or --money 2000).", none.Err.Trim());
        Assert.Contains("Vaccine portal has no budget.", (await Run("--format", "table", "budget", "show", "vaccine")).Out);

        var set = await Run("budget", "set", "vaccine", "--hours", "40");
        Assert.True(set.Exit == 0, set.Err);
        var row = Row(set.Out);
        Assert.Equal(["Vaccine portal", "hours", "40.00", "1.50"], row[..4]);
        Assert.Equal(3.8m, Percent(row));
        Assert.Equal(["80", "100", "ok", ""], row[5..]); // the default thresholds; no currency for hours
        var stored = await BudgetAsync(human, project);
        Assert.Equal(("hours", 40m), (stored.Str("kind"), stored.GetProperty("limit").GetDecimal()));

        var table = await Run("--format", "table", "budget", "show", "vaccine");
        Assert.True(table.Exit == 0, table.Err);
        Assert.Contains("Used %", table.Out);
        Assert.Contains("40 h", table.Out);
        Assert.Contains("1.5 h", table.Out);
        Assert.Contains("3.8 %", table.Out);
        Assert.All(table.Out.Split('\n'), line => Assert.True(line.Length <= 80, line));

        // A change with thresholds: 1.5 of 2 hours is 75 %, past the critical 70 %.
        var changed = await Run("budget", "set", "vaccine", "--hours", "2", "--warn", "50", "--critical", "70");
        Assert.True(changed.Exit == 0, changed.Err);
        row = Row(changed.Out);
        Assert.Equal(["2.00", "1.50"], row[2..4]);
        Assert.Equal(75m, Percent(row));
        Assert.Equal(["50", "70", "critical"], row[5..8]);

        // A limit alone keeps the thresholds set before, as the web form does (the API alone would reset them to 80 and 100).
        var limitOnly = await Run("budget", "set", "vaccine", "--hours", "10");
        Assert.True(limitOnly.Exit == 0, limitOnly.Err);
        row = Row(limitOnly.Out);
        Assert.Equal(["10.00", "1.50"], row[2..4]);
        Assert.Equal(15m, Percent(row));
        Assert.Equal(["50", "70", "ok"], row[5..8]);
        stored = await BudgetAsync(human, project);
        Assert.Equal((10m, 50, 70), (stored.GetProperty("limit").GetDecimal(), stored.GetProperty("warn_percent").GetInt32(), stored.GetProperty("critical_percent").GetInt32()));

        var json = JsonDocument.Parse((await Run("--json", "budget", "show", project)).Out).RootElement.GetProperty("budget"); // the API's JSON, by id
        Assert.Equal(("hours", "1.50", "ok"), (json.Str("kind"), json.Str("used"), json.Str("status")));

        var removed = await Run("budget", "remove", "vaccine");
        Assert.True(removed.Exit == 0, removed.Err);
        Assert.Equal("Removed the budget of Vaccine portal.", removed.Out.Trim());
        Assert.Equal(JsonValueKind.Null, (await BudgetAsync(human, project)).ValueKind);

        var again = await Run("budget", "remove", "vaccine");
        Assert.Equal(1, again.Exit);
        Assert.StartsWith("error (not_found): ", Assert.Single(again.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task A_budget_in_money_counts_in_the_clients_currency_and_can_become_one_in_hours() // R32, R20
    {
        var (human, project) = await SignedInWithTimeAsync(5400); // 1.5 h at 80 EUR: 120.00

        var set = await Run("budget", "set", project, "--money", "2000");
        Assert.True(set.Exit == 0, set.Err);
        var row = Row(set.Out);
        Assert.Equal(["Vaccine portal", "money", "2000.00", "120.00"], row[..4]);
        Assert.Equal(6m, Percent(row));
        Assert.Equal(["80", "100", "ok", "EUR"], row[5..]);
        Assert.Contains("EUR", (await Run("--format", "table", "budget", "show", "vaccine")).Out);

        // 1.5 of 1.8 hours is 83.3 %: past the warning at 80 %.
        var hours = await Run("budget", "set", "vaccine", "--hours", "1.8");
        Assert.True(hours.Exit == 0, hours.Err);
        row = Row(hours.Out);
        Assert.Equal(["Vaccine portal", "hours", "1.80", "1.50"], row[..4]);
        Assert.Equal(83.3m, Percent(row));
        Assert.Equal(["80", "100", "warn", ""], row[5..]);
        Assert.Equal("hours", (await BudgetAsync(human, project)).Str("kind"));
    }

    [Fact]
    public async Task A_limit_that_is_not_a_positive_number_or_not_exactly_one_kind_is_a_usage_error_with_exit_2() // R32
    {
        foreach (var (args, expected) in new[]
        {
            (new[] { "budget", "set", "vaccine", "--hours", "forty" }, "--hours must be a positive number like 40"),
            (new[] { "budget", "set", "vaccine", "--hours", "0" }, "--hours must be a positive number like 40"),
            (new[] { "budget", "set", "vaccine", "--money", "2,000" }, "--money must be a positive amount like 2000"),
            (new[] { "budget", "set", "vaccine", "--hours", "40", "--warn", "eighty" }, "--warn must be a whole percentage like 80"),
            (new[] { "budget", "set", "vaccine" }, "Give either --hours or --money."),
            (new[] { "budget", "set", "vaccine", "--hours", "40", "--money", "2000" }, "Give either --hours or --money, not both."),
        })
        {
            var wrong = await Run(args);
            Assert.Equal(2, wrong.Exit);
            var line = Assert.Single(wrong.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(expected, line);
            Assert.Contains("hourdini budget set --help", line);
            Assert.Empty(wrong.Out);
        }
    }

    [Fact]
    public async Task Thresholds_the_server_refuses_are_its_code_and_message_with_exit_1_and_set_nothing() // R32
    {
        var (human, project) = await SignedInWithTimeAsync(600);

        var refused = await Run("budget", "set", "vaccine", "--hours", "40", "--warn", "90", "--critical", "80");
        Assert.Equal(1, refused.Exit);
        Assert.Equal("error (validation_failed): warn_percent must not be above critical_percent.", refused.Err.Trim());
        Assert.Empty(refused.Out);
        Assert.Equal(JsonValueKind.Null, (await BudgetAsync(human, project)).ValueKind);
    }

    [Fact]
    public async Task One_threshold_on_the_wrong_side_of_the_other_kept_one_names_the_kept_value_and_sets_nothing() // R32
    {
        var (human, project) = await SignedInWithTimeAsync(600);

        // A new budget: warn would be the default 80, above the critical 70 asked for.
        var belowDefault = await Run("budget", "set", "vaccine", "--hours", "40", "--critical", "70");
        Assert.Equal(1, belowDefault.Exit);
        Assert.Equal("error (validation_failed): --critical 70 is below the warning at 80 % (the default): give --warn too, at most 70.", belowDefault.Err.Trim());
        Assert.Equal(JsonValueKind.Null, (await BudgetAsync(human, project)).ValueKind);

        // A change: the budget's current critical is 90, below the warn asked for.
        Assert.Equal(0, (await Run("budget", "set", "vaccine", "--hours", "40", "--warn", "50", "--critical", "90")).Exit);
        var aboveCurrent = await Run("budget", "set", "vaccine", "--hours", "40", "--warn", "95");
        Assert.Equal(1, aboveCurrent.Exit);
        Assert.Equal("error (validation_failed): --warn 95 is above the critical threshold at 90 % (the budget's current one): give --critical too, at least 95.", aboveCurrent.Err.Trim());
        var kept = await BudgetAsync(human, project);
        Assert.Equal((50, 90), (kept.GetProperty("warn_percent").GetInt32(), kept.GetProperty("critical_percent").GetInt32()));

        // Both given: sent as typed.
        Assert.Equal(0, (await Run("budget", "set", "vaccine", "--hours", "40", "--warn", "60", "--critical", "70")).Exit);
        Assert.Equal(70, (await BudgetAsync(human, project)).GetProperty("critical_percent").GetInt32());
    }

    [Fact]
    public async Task An_agent_token_is_refused_a_projects_budget_by_the_server() // R32, R22: a budget may be money
    {
        var (human, project) = await SignedInWithTimeAsync(600);
        (await human.SendAsync(HttpMethod.Put, $"/api/v1/projects/{project}/budget", new { kind = "money", limit = 100 })).Expect(HttpStatusCode.OK);
        var (_, agent) = await human.CreateAgentAsync();
        Assert.Equal(0, (await Run("login", "--url", server.BaseAddress.ToString(), "--token", agent.Token())).Exit);

        var refused = await Run("budget", "show", "vaccine");
        Assert.Equal(1, refused.Exit);
        Assert.StartsWith("error (agent_not_allowed): ", Assert.Single(refused.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Empty(refused.Out);
    }

    /// <summary>A new org with Vaccine portal (client Umbrella, EUR, 80/h), billable time on it, and the CLI signed in as its owner.</summary>
    private async Task<(ApiClient Human, string Project)> SignedInWithTimeAsync(int seconds)
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella", "EUR", 80m), "Vaccine portal");
        (await human.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-10-05T09:00:00Z", duration_seconds = seconds }))
            .Expect(HttpStatusCode.Created);
        Assert.Equal(0, (await Run("login", "--url", server.BaseAddress.ToString(), "--token", human.Token())).Exit);
        return (human, project);
    }

    private static async Task<JsonElement> BudgetAsync(ApiClient human, string project) =>
        (await human.GetAsync($"/api/v1/projects/{project}/budget")).Expect(HttpStatusCode.OK)["budget"];

    /// <summary>The one tab-separated row a piped command printed.</summary>
    private static string[] Row(string tsv) => Assert.Single(tsv.Split('\n', StringSplitOptions.RemoveEmptyEntries)).TrimEnd('\r').Split('\t');

    /// <summary>The row's percentage used, as a number (the API may write 75 or 75.0).</summary>
    private static decimal Percent(string[] row) => decimal.Parse(row[4], CultureInfo.InvariantCulture);

    private Task<(int Exit, string Out, string Err)> Run(params string[] args) => Cli.RunAsync(config, args);

    public void Dispose() => Directory.Delete(config, recursive: true);
}
