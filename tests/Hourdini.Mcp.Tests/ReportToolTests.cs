using System.Net;
using System.Text.Json;
using Hourdini.Testing;

namespace Hourdini.Mcp.Tests;

/// <summary>R28 outside the API: the MCP tool <c>report_summary</c> (person-only, R22) and <c>hourdini report</c>.</summary>
public sealed class ReportToolTests(HourdiniServer server) : IClassFixture<HourdiniServer>, IDisposable
{
    private readonly string config = Directory.CreateTempSubdirectory("hourdini-cli-").FullName;

    [Fact]
    public async Task Report_summary_answers_what_the_HTTP_API_answers_and_is_refused_to_agents() // R28, R22
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella", "EUR", 80m), "Portal");
        await LogAsync(human, project, "2026-11-02T22:30:00Z", 3600);
        await LogAsync(human, project, "2026-11-03T09:00:00Z", 1800);
        var (_, agent) = await human.CreateAgentAsync();
        await using var mcp = await McpSupport.ConnectHttpAsync(server.BaseAddress, human.Token());
        await using var bot = await McpSupport.ConnectHttpAsync(server.BaseAddress, agent.Token());

        var byDay = await mcp.CallOkAsync("report_summary", new { from = "2026-11-01", to = "2026-11-30", group_by = "day", tz = "Asia/Tokyo" });

        var http = (await human.GetAsync("/api/v1/reports/summary?from=2026-11-01&to=2026-11-30&group_by=day&tz=Asia/Tokyo")).Expect(HttpStatusCode.OK);
        McpSupport.SameJson(http.Body, byDay);
        Assert.Equal(["2026-11-03"], byDay.GetProperty("groups").EnumerateArray().Select(g => g.Str("key"))); // 07:30 and 18:00 in Tokyo
        Assert.Equal("project", (await mcp.CallOkAsync("report_summary", new { from = "2026-11-01", to = "2026-11-30" })).Str("group_by"));
        await mcp.CallRefusedAsync("report_summary", new { from = "2026-11-01", to = "2026-11-30", group_by = "tag" }, "validation_failed");
        await mcp.CallRefusedAsync("report_summary", new { from = "2026-11-01" }, "validation_failed");
        await bot.CallRefusedAsync("report_summary", new { from = "2026-11-01", to = "2026-11-30" }, "agent_not_allowed");
    }

    [Fact]
    public async Task Hourdini_report_prints_the_split_in_a_table_that_fits_80_columns() // R28, R20
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var euro = await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella Corporation International", "EUR", 80m), "A project with a very long name indeed");
        var dollar = await human.CreateProjectAsync(await human.CreateClientAsync("Initech", "USD", 100m), "TPS");
        await LogAsync(human, euro, "2026-11-02T09:00:00Z", 5400);
        await LogAsync(human, dollar, "2026-11-03T09:00:00Z", 1800);
        await LogAsync(human, euro, DateTimeOffset.UtcNow.AddHours(-2).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), 900);
        Assert.Equal(0, (await Run("login", "--url", server.BaseAddress.ToString(), "--token", human.Token())).Exit);

        var byClient = await Run("--format", "table", "report", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "client", "--tz", "Europe/Berlin");
        Assert.True(byClient.Exit == 0, byClient.Err);
        Assert.Contains("Hands-on", byClient.Out);
        Assert.Contains("Umbrella Corporation International", byClient.Out); // room enough: whole
        Assert.Contains("1:30", byClient.Out);
        Assert.Contains("120.00 EUR", byClient.Out);
        Assert.Contains("Total USD", byClient.Out);
        Assert.Contains("50.00 USD", byClient.Out);
        Assert.All(byClient.Out.Split('\n'), line => Assert.True(line.TrimEnd('\r').Length <= 80, $"{line.Length} columns: {line}"));

        var week = await Run("report", "--week", "--by", "day");
        Assert.True(week.Exit == 0, week.Err);
        Assert.Contains("0:15", week.Out);
        var json = await Run("--json", "report", "--month");
        Assert.Equal("project", JsonDocument.Parse(json.Out).RootElement.Str("group_by"));

        Assert.NotEqual(0, (await Run("report", "--week", "--month")).Exit);
        Assert.NotEqual(0, (await Run("report", "--by", "tag")).Exit);
        var refused = await Run("report", "--from", "2026-11-30", "--to", "2026-11-01");
        Assert.Equal(1, refused.Exit);
        Assert.Contains("(validation_failed)", refused.Err);
    }

    private static async Task LogAsync(ApiClient api, string project, string start, int seconds) =>
        (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = start, duration_seconds = seconds })).Expect(HttpStatusCode.Created);

    private Task<(int Exit, string Out, string Err)> Run(params string[] args) => Cli.RunAsync(config, args);

    public void Dispose() => Directory.Delete(config, recursive: true);
}
