using System.Net;
using System.Text.Json;
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

    [Fact]
    public async Task An_owner_sets_changes_and_removes_a_budget_from_the_projects_page() // R32
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var project = await api.CreateProjectAsync(await api.CreateClientAsync("Initech", rate: 100m), "Parser");
        (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-01-05T09:00:00Z", duration_seconds = 3600 }))
            .Expect(HttpStatusCode.Created);

        await page.GotoAsync("/projects");
        await page.GetByRole(AriaRole.Button, new() { Name = "Budget for Parser" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Project budget" });
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Remove budget" })).ToBeHiddenAsync(); // none set yet
        await Expect(dialog.GetByLabel("Warn at (%)")).ToHaveValueAsync("80");
        await dialog.GetByLabel("Limit").FillAsync("2");
        await dialog.GetByLabel("Limit").PressAsync("Enter"); // Enter saves
        await Expect(dialog).ToBeHiddenAsync();
        var bar = page.Locator("#project-list").GetByRole(AriaRole.Progressbar, new() { Name = "Budget of Parser" });
        await Expect(bar).ToHaveAttributeAsync("aria-valuetext", "1 h of 2 h, ok");

        // In money: 100 EUR of 150 passes the 50 % warning. Enter still saves with Remove shown beside Save.
        await page.GetByRole(AriaRole.Button, new() { Name = "Budget for Parser" }).ClickAsync();
        await Expect(dialog.GetByLabel("Limit")).ToHaveValueAsync("2");
        await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Remove budget" })).ToBeVisibleAsync();
        await dialog.GetByLabel("Counted in").SelectOptionAsync("money");
        await dialog.GetByLabel("Limit").FillAsync("150");
        await dialog.GetByLabel("Warn at (%)").FillAsync("50");
        await dialog.GetByLabel("Warn at (%)").PressAsync("Enter");
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(bar).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("status-warn"));
        await Expect(bar).ToHaveAttributeAsync("aria-valuetext", "100.00 EUR of 150.00 EUR, warn"); // money says its currency
        var set = (await api.GetAsync($"/api/v1/projects/{project}/budget")).Expect(HttpStatusCode.OK)["budget"];
        Assert.Equal(("money", 150m, 50), (set.Str("kind"), set.GetProperty("limit").GetDecimal(), set.GetProperty("warn_percent").GetInt32()));

        // A refusal is said in the dialog, and nothing changes.
        await page.GetByRole(AriaRole.Button, new() { Name = "Budget for Parser" }).ClickAsync();
        await dialog.GetByLabel("Warn at (%)").FillAsync("120");
        await dialog.GetByLabel("Critical at (%)").FillAsync("100");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        // Said next to its field, with the form's labels rather than the API's names.
        await Expect(dialog.Locator(".field-error")).ToHaveTextAsync("Warn at (%) must not be above Critical at (%).");
        await Expect(dialog.GetByLabel("Warn at (%)")).ToBeFocusedAsync();
        await Screenshots.SaveAsync(page, "budget-dialog");

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Remove budget" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page.Locator("#project-list tr", new() { HasText = "Parser" }).Locator("td[data-label=Budget]")).ToHaveTextAsync("none");
        Assert.Equal(JsonValueKind.Null, (await api.GetAsync($"/api/v1/projects/{project}/budget")).Expect(HttpStatusCode.OK)["budget"].ValueKind);
        Assert.DoesNotContain(errors, e => !e.Contains("422")); // the refused save's 422 is logged by Chromium
    }
}
