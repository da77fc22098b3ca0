using System.Net;
using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>R15 seen from the browser: an agent that goes quiet is auto-stopped, and open pages show it without a reload.</summary>
public sealed class AutoStopLiveTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task A_silent_agents_session_leaves_the_sidebar_by_itself_when_its_lease_runs_out()
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        (await api.SendAsync(HttpMethod.Patch, "/api/v1/org", new { agent_lease_seconds = 5 })).Expect(HttpStatusCode.OK);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync("Hooli"), "Nucleus");
        var (_, agent) = await api.CreateAgentAsync("night-shift");

        await page.GotoAsync("/");
        await page.EvaluateAsync("window.__sameDocument = true");
        var started = (await agent.PostAsync("/api/v1/sessions", new { project_id = project, description = "compression run" }))
            .Expect(HttpStatusCode.Created)["session"];
        var row = page.Locator("#session-rows li.session-row").Filter(new() { HasText = "compression run" });
        await Expect(row.Locator("[data-beat]")).ToHaveTextAsync("Agent");

        // The agent says nothing more; after its 5 s lease the sweep stops the session.
        await Expect(row).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        Assert.True(await page.EvaluateAsync<bool>("window.__sameDocument === true"), "the page must update in place, not reload");
        var stopped = await api.GetSessionAsync(started.Str("id"));
        Assert.Equal("stopped", stopped.Str("status"));
        Assert.Empty(errors);
    }
}
