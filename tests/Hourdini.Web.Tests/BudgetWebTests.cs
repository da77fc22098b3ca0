using System.Net;
using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>R32 in the browser: a project's budget is a bar on the projects page, amber past the warning threshold and red past the critical one, and the sidebar lists the budgets that need attention.</summary>
public sealed class BudgetWebTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task Budgets_show_as_bars_that_turn_amber_and_red_and_the_sidebar_lists_them()
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var client = await api.CreateClientAsync("Initech");
        var warned = await api.CreateProjectAsync(client, "Warned");
        var blown = await api.CreateProjectAsync(client, "Blown");
        var calm = await api.CreateProjectAsync(client, "Calm");
        foreach (var (project, seconds) in new[] { (warned, 3000), (blown, 4000), (calm, 600) })
        {
            (await api.SendAsync(HttpMethod.Put, $"/api/v1/projects/{project}/budget", new { kind = "hours", limit = 1 })).Expect(HttpStatusCode.OK);
            (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-01-05T09:00:00Z", duration_seconds = seconds }))
                .Expect(HttpStatusCode.Created);
        }

        await page.GotoAsync("/projects");
        var table = page.Locator("#project-list");
        await Expect(table.GetByRole(AriaRole.Progressbar, new() { Name = "Budget of Warned" })).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("status-warn"));
        await Expect(table.GetByRole(AriaRole.Progressbar, new() { Name = "Budget of Blown" })).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("status-critical"));
        await Expect(table.GetByRole(AriaRole.Progressbar, new() { Name = "Budget of Calm" })).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("status-ok"));
        await Expect(table.GetByRole(AriaRole.Progressbar, new() { Name = "Budget of Warned" })).ToHaveAttributeAsync("aria-valuetext", "0.83 h of 1 h, warn");

        var sidebar = page.Locator("#sidebar-budgets");
        await Expect(sidebar).ToContainTextAsync("Warned");
        await Expect(sidebar).ToContainTextAsync("Blown");
        await Expect(sidebar).Not.ToContainTextAsync("Calm");
        await Screenshots.SaveAsync(page, "budgets");

        await page.SetViewportSizeAsync(375, 812);
        await table.GetByRole(AriaRole.Progressbar, new() { Name = "Budget of Blown" }).ScrollIntoViewIfNeededAsync();
        await Expect(table.GetByRole(AriaRole.Progressbar, new() { Name = "Budget of Blown" })).ToBeInViewportAsync();
        await Screenshots.SaveAsync(page, "budgets-phone");
        Assert.Empty(errors);
    }
}
