using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// The week timesheet (issue 25): a row per project, a column per day of the ISO week (Monday first, in the browser's
/// time zone), totals by row and column; a day's time opens that day's entries of that project, to see and edit them.
/// </summary>
public sealed class WeekTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task The_week_sums_each_projects_days_and_a_cell_opens_its_entries()
    {
        var (page, errors) = await browser.NewPageAsync(timezone: "Europe/Berlin");
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var client = await api.CreateClientAsync("Initech");
        var reports = await api.CreateProjectAsync(client, "TPS reports");
        var printer = await api.CreateProjectAsync(client, "Printer");
        // Week 2026-W47: Monday 16 to Sunday 22 November. 23:30 UTC on Sunday the 15th is already Monday in Berlin.
        foreach (var (project, start, seconds) in new[]
        {
            (reports, "2026-11-15T23:30:00Z", 3600), (reports, "2026-11-18T09:00:00Z", 1800), (printer, "2026-11-18T13:00:00Z", 900),
            (printer, "2026-11-22T23:30:00Z", 600), // Sunday night UTC: Monday the 23rd in Berlin, next week
        })
        {
            (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = start, duration_seconds = seconds, description = "work" }))
                .Expect(System.Net.HttpStatusCode.Created);
        }

        await page.GotoAsync("/week?week=2026-W47");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Week 2026-W47" })).ToBeVisibleAsync();
        var sheet = page.Locator("table.timesheet");
        var tps = sheet.Locator("tbody tr").Filter(new() { HasText = "TPS reports" });
        await Expect(tps.Locator("td").Nth(0)).ToHaveTextAsync("1:00:00"); // Monday
        await Expect(tps.Locator("td").Nth(2)).ToHaveTextAsync("0:30:00"); // Wednesday
        await Expect(tps.Locator("td").Nth(7)).ToHaveTextAsync("1:30:00"); // the row's total
        await Expect(sheet.Locator("tfoot td").Nth(2)).ToHaveTextAsync("0:45:00"); // Wednesday, both projects
        await Expect(sheet.Locator("tfoot td").Nth(7)).ToHaveTextAsync("1:45:00"); // the week; Sunday night's entry is next week's
        await Screenshots.SaveAsync(page, "week");

        await page.SetViewportSizeAsync(375, 812);
        await page.EvaluateAsync("() => document.querySelector('table.timesheet').scrollIntoView({ block: 'center' })");
        await Screenshots.SaveAsync(page, "week-phone");
        await page.SetViewportSizeAsync(1360, 900);

        await tps.GetByRole(AriaRole.Link, new() { Name = "TPS reports on 2026-11-18: 0:30:00" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/entries\\?from=2026-11-18&to=2026-11-18&project_id="));
        await Expect(page.Locator("li.entry")).ToHaveCountAsync(1);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Edit entry work" })).ToBeVisibleAsync();

        await page.GotoAsync("/week?week=2026-W48");
        await Expect(page.Locator("table.timesheet tfoot td").Nth(0)).ToHaveTextAsync("0:10:00");
        Assert.Empty(errors);
    }
}
