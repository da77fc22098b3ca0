using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Hourdini.Testing;
using Microsoft.Playwright;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// /reports (R28): the period picker, the stacked chart of hands-on and agent time, the breakdown by client, project and
/// agent with money per currency (R20), and the export links; at desktop and phone width.
/// </summary>
public sealed class ReportsPageTests(Browser browser) : IClassFixture<Browser>
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Fact]
    public async Task Reports_switch_periods_and_groupings_and_draw_hands_on_and_agent_time_per_day_at_desktop_and_phone_width()
    {
        var (page, errors) = await browser.NewPageAsync("Europe/Berlin");
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var globex = await api.CreateProjectAsync(await api.CreateClientAsync("Globex", "EUR", 90m), "Design system", billAgentTime: true);
        var initech = await api.CreateProjectAsync(await api.CreateClientAsync("Initech", "USD", 120m), "TPS reports");
        var (agentId, _) = await api.CreateAgentAsync("claude");

        // Last week Monday to Friday, and today: hands-on work, and agent runs whose split is set in the database (a real
        // session would need hours of real time to draw a visible bar).
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Berlin).DateTime);
        var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        for (var d = 0; d < 5; d++)
        {
            var day = monday.AddDays(d - 7);
            await LogAsync(api, d % 2 == 0 ? globex : initech, At(day, 9), 3600 * (2 + d % 3));
            var run = await LogAsync(api, globex, At(day, 14), 1800 * (1 + d));
            await SplitAsync(run, active: 900, agent: 1800 * (1 + d) + 1800, agentId);
        }

        await LogAsync(api, initech, At(today, 8), 5400);
        await SplitAsync(await LogAsync(api, globex, At(today, 11), 1800), active: 600, agent: 3600, agentId);
        await LogAsync(api, initech, At(monday.AddDays(-20), 10), 7200, billable: false);

        // This week by default: a bar per day, today's with both kinds of time.
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Reports", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Reports", Exact = true })).ToBeVisibleAsync();
        await Expect(page.Locator("#report-period")).ToContainTextAsync("This week");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hands-on and agent time per day" })).ToBeVisibleAsync();
        var bars = page.Locator("#report-chart g.bar");
        await Expect(bars).ToHaveCountAsync(7);
        var todayBar = page.Locator($"#report-chart g.bar[data-key='{today:yyyy-MM-dd}']");
        await Expect(todayBar.Locator("rect.bar-active")).ToHaveCountAsync(1);
        await Expect(todayBar.Locator("rect.bar-agent")).ToHaveCountAsync(1);
        await Expect(todayBar).ToHaveAttributeAsync("data-active", (5400 + 600).ToString(CultureInfo.InvariantCulture));
        await Expect(todayBar).ToHaveAttributeAsync("data-agent", "3600");

        // Last week: five days with work, both currencies apart, the export links for the same period and zone.
        await page.Locator("nav[aria-label='Period']").GetByRole(AriaRole.Link, new() { Name = "Last week" }).ClickAsync();
        await Expect(page.Locator("#report-period")).ToContainTextAsync("Last week");
        await Expect(page.Locator("#report-chart rect.bar-agent")).ToHaveCountAsync(5);
        var table = page.Locator("#report-breakdown");
        await Expect(table.Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(table.Locator("tbody tr").First).ToContainTextAsync("Globex");
        await Expect(table.Locator("tfoot")).ToContainTextAsync("Total EUR");
        await Expect(table.Locator("tfoot")).ToContainTextAsync("Total USD");
        var from = monday.AddDays(-7).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var to = monday.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" }))
            .ToHaveAttributeAsync("href", $"/api/v1/time-entries/export?from={from}&to={to}&format=csv&tz=Europe%2FBerlin");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Export XLSX" })).ToHaveAttributeAsync("href", new Regex("format=xlsx"));
        await Screenshots.SaveAsync(page, "reports-desktop");

        // The same numbers the API gives for the same period (R28).
        var report = (await api.GetAsync($"/api/v1/reports/summary?from={from}&to={to}&group_by=client&tz=Europe/Berlin")).Expect(HttpStatusCode.OK);
        var globexTotal = report["groups"].EnumerateArray().First(g => g.Str("label") == "Globex");
        await Expect(table.Locator("tbody tr").First.Locator("td").Nth(0)).ToHaveTextAsync(Clock(globexTotal.Long("active_seconds")));
        await Expect(table.Locator("tbody tr").First.Locator("td").Nth(1)).ToHaveTextAsync(Clock(globexTotal.Long("agent_seconds")));

        // By agent, by project: the switch keeps the period.
        await page.Locator("nav[aria-label='Group by']").GetByRole(AriaRole.Link, new() { Name = "Agent" }).ClickAsync();
        await Expect(page.Locator("#report-period")).ToContainTextAsync("Last week");
        await Expect(table.Locator("tbody .group-name")).ToHaveTextAsync(["claude", "No agent"]);
        await page.Locator("nav[aria-label='Group by']").GetByRole(AriaRole.Link, new() { Name = "Project" }).ClickAsync();
        await Expect(table.Locator("tbody .group-name")).ToHaveTextAsync(["Design system", "TPS reports"]);

        // Last month and a long custom period: per ISO week.
        await page.Locator("nav[aria-label='Period']").GetByRole(AriaRole.Link, new() { Name = "Last month" }).ClickAsync();
        await Expect(page.Locator("#report-period")).ToContainTextAsync("Last month");
        var custom = page.GetByRole(AriaRole.Form, new() { Name = "Custom period" });
        await custom.GetByLabel("From").FillAsync(monday.AddDays(-90).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        await custom.GetByLabel("To").FillAsync(today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        await custom.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(page.Locator("#report-period")).ToContainTextAsync("Custom");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hands-on and agent time per week" })).ToBeVisibleAsync();
        await Expect(bars).ToHaveCountAsync(14);
        await Screenshots.SaveAsync(page, "reports-custom-weeks");

        // A phone: nothing wider than the screen; the chart and the table fit or scroll inside their own box.
        await page.SetViewportSizeAsync(375, 812);
        await page.GotoAsync("/reports?period=last-week&by=client");
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 375 px");
        await page.Locator("#main").ScrollIntoViewIfNeededAsync();
        await page.EvaluateAsync("document.getElementById('main').scrollIntoView()");
        await Screenshots.SaveAsync(page, "reports-phone");
        await page.EvaluateAsync("document.getElementById('report-breakdown').scrollIntoView()");
        await Screenshots.SaveAsync(page, "reports-phone-table");
        // The table fills its card, with no blank strip beside its rows.
        var gap = await page.EvaluateAsync<double>(
            "(() => { const t = document.getElementById('report-breakdown'), box = t.parentElement, style = getComputedStyle(box); " +
            "return box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - t.querySelector('tbody tr').getBoundingClientRect().width; })()");
        Assert.True(Math.Abs(gap) < 2, $"the report's rows leave {gap} px of their card empty at 375 px");

        // Between a phone and a desktop every column shows, and still nothing is wider than the screen.
        await page.SetViewportSizeAsync(760, 1000);
        await page.GotoAsync("/reports?period=last-week&by=client");
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 760 px");
        Assert.True(await page.EvaluateAsync<bool>("[...document.querySelectorAll('#report-breakdown td')].every(td => td.scrollWidth <= td.clientWidth)"),
            "a figure in the report's table is cut off at 760 px");
        await page.EvaluateAsync("document.getElementById('report-breakdown').scrollIntoView()");
        await Screenshots.SaveAsync(page, "reports-tablet-table");

        Assert.Empty(errors);
    }

    private static string At(DateOnly day, int hour)
    {
        var local = day.ToDateTime(new TimeOnly(hour, 0));
        return new DateTimeOffset(local, Berlin.GetUtcOffset(local)).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    private static string Clock(long seconds) => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}:{seconds % 3600 / 60:00}");

    private static async Task<string> LogAsync(ApiClient api, string project, string start, int seconds, bool billable = true) =>
        (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = start, duration_seconds = seconds, billable, description = "work" }))
        .Expect(HttpStatusCode.Created)["time_entry"].Str("id");

    /// <summary>Makes an entry an agent run with a billed split, as a long session would have written it (R25).</summary>
    private async Task SplitAsync(string entryId, long active, long agent, string agentId)
    {
        await using var connection = await browser.Server.OpenDatabaseAsync();
        await using var update = new NpgsqlCommand(
            """
            UPDATE time_entries SET active_seconds = $1, agent_seconds = $2, agent_billed = true, duration_seconds = $1 + $2,
                ended_at = started_at + make_interval(secs => $1 + $2), agent_id = $3::uuid
            WHERE id = $4::uuid
            """, connection)
        {
            Parameters = { new() { Value = active }, new() { Value = agent }, new() { Value = agentId }, new() { Value = entryId } },
        };
        Assert.Equal(1, await update.ExecuteNonQueryAsync());
    }
}
