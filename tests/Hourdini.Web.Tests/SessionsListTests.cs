using System.Net;
using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// /sessions: every session of the user and their agents, newest first, open or stopped and by project, a page at a time;
/// a stopped session is found again there, not only through its entry (the way back a web walk found missing).
/// </summary>
public sealed class SessionsListTests(Browser browser) : IClassFixture<Browser>
{
    [Theory]
    [InlineData(1366, 900)]
    [InlineData(375, 812)]
    public async Task Sessions_are_listed_newest_first_filtered_by_status_and_project_and_lead_to_their_page(int width, int height)
    {
        var (page, errors) = await browser.NewPageAsync();
        await page.SetViewportSizeAsync(width, height);
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var client = await api.CreateClientAsync("Initech");
        var parser = await api.CreateProjectAsync(client, "Parser", billAgentTime: true);
        var website = await api.CreateProjectAsync(client, "Website");
        var ended = (await api.StartSessionAsync(parser, "wrote the lexer")).Str("id");
        (await api.PostAsync($"/api/v1/sessions/{ended}/end")).Expect(HttpStatusCode.OK);
        var (_, agent) = await api.CreateAgentAsync("builder");
        (await agent.PostAsync("/api/v1/sessions", new { project_id = parser, description = "agent run" })).Expect(HttpStatusCode.Created);
        await api.StartSessionAsync(website, "hero section");

        await page.GotoAsync("/");
        await Expect(page.Locator("nav.nav a[href='/sessions']")).ToHaveTextAsync("Sessions"); // in the main menu (a drawer on a phone)
        await page.GotoAsync("/sessions");
        var rows = page.Locator("#session-list tbody tr");
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(rows.Nth(0)).ToContainTextAsync("hero section");
        await Expect(rows.Nth(1)).ToContainTextAsync("agent run");
        await Expect(rows.Nth(1)).ToContainTextAsync("builder");
        await Expect(rows.Nth(1)).ToContainTextAsync("Agent");
        await Expect(rows.Nth(2)).ToContainTextAsync("Stopped");
        var pageWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(pageWidth <= width, $"/sessions is {pageWidth} px wide at {width} px");
        await Screenshots.SaveAsync(page, $"sessions-{width}");

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Status" }).GetByRole(AriaRole.Link, new() { Name = "Open" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(2);
        await page.Locator("form.filters").GetByLabel("Project").SelectOptionAsync(new SelectOptionValue { Label = "Parser" });
        await page.Locator("form.filters").GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("agent run");

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Status" }).GetByRole(AriaRole.Link, new() { Name = "Stopped" }).ClickAsync();
        await rows.First.GetByRole(AriaRole.Link).ClickAsync();
        await page.WaitForURLAsync($"**/sessions/{ended}");
        await Expect(page.Locator("#session-detail")).ToHaveAttributeAsync("data-status", "stopped");
        await Expect(page.Locator("#session-detail")).ToContainTextAsync("wrote the lexer");

        await page.GotoAsync("/sessions?status=sideways&cursor=garbage");
        await Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "showing" })).ToHaveTextAsync(
            "That filter is not one this page knows; showing all sessions. That page link is out of date; showing the newest sessions.");
        await Expect(rows).ToHaveCountAsync(3);
        Assert.Empty(errors);
    }
}
