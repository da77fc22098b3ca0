using System.Text.RegularExpressions;
using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// A freelancer's day in the web app, in a real browser against a real server and PostgreSQL:
/// the sidebar's sessions (R1–R3), an agent's beats arriving live, the session detail page, and
/// the entry the session writes (R6) on /entries.
/// </summary>
public sealed class SessionFlowTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task A_session_started_from_the_sidebar_flips_beats_hands_focus_over_shows_an_agents_beats_live_and_ends_in_an_entry()
    {
        var (page, errors) = await browser.NewPageAsync();
        var email = $"web-{Guid.NewGuid():N}@example.com";

        // Sign up: the app's pages need a web session; without one they send you to /login.
        await page.GotoAsync("/entries");
        await Expect(page).ToHaveURLAsync(new Regex("/login\\?next=%2Fentries$"));
        await Screenshots.SaveAsync(page, "login");
        await page.GetByRole(AriaRole.Link, new() { Name = "Create an account" }).ClickAsync();
        await page.GetByLabel("Your name").FillAsync("Ada Freelance");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync("correct horse battery");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Today", Exact = true })).ToBeVisibleAsync();

        // A client and two projects.
        await page.GetByRole(AriaRole.Link, new() { Name = "Clients" }).ClickAsync();
        var newClient = page.GetByRole(AriaRole.Form, new() { Name = "New client" });
        await newClient.GetByLabel("Name").FillAsync("Acme Corp");
        await newClient.GetByLabel("Currency").FillAsync("EUR");
        await newClient.GetByLabel("Hourly rate").FillAsync("120");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add client" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "Acme Corp" })).ToContainTextAsync("120.00 EUR/h");

        await page.GetByRole(AriaRole.Link, new() { Name = "Projects" }).ClickAsync();
        foreach (var name in new[] { "Website redesign", "Mobile app" })
        {
            await page.GetByRole(AriaRole.Form, new() { Name = "New project" }).GetByLabel("Name").FillAsync(name);
            await page.GetByRole(AriaRole.Button, new() { Name = "Add project" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Row, new() { Name = name })).ToBeVisibleAsync();
        }

        // R5: the Bill agent time toggle, stated to apply to sessions started after the change.
        var billAgent = page.GetByRole(AriaRole.Switch, new() { Name = "Bill agent time for Website redesign" });
        await Expect(billAgent).ToHaveAttributeAsync("aria-checked", "false");
        await billAgent.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Switch, new() { Name = "Bill agent time for Website redesign" })).ToHaveAttributeAsync("aria-checked", "true");
        await Expect(page.GetByText("applies to sessions started after it")).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "projects");

        // The sidebar's +: the project is picked from a list, by id (R23 keeps names unique only per client).
        var rows = page.Locator("#session-rows li.session-row");
        await StartFromSidebarAsync(page, "Website redesign", "Homepage hero");
        var hero = rows.Filter(new() { HasText = "Homepage hero" });
        await Expect(hero).ToContainTextAsync("Website redesign");
        await Expect(hero.Locator("[data-beat]")).ToHaveTextAsync("Active");

        // Row actions flip the beat (R2).
        foreach (var (button, badge) in new[] { ("Agent", "Agent"), ("Idle", "Idle"), ("Active", "Active") })
        {
            await hero.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }).ClickAsync();
            await Expect(hero.Locator("[data-beat]")).ToHaveTextAsync(badge);
        }

        // R3: one active beat per user. Starting a second session drops the first one to idle.
        await StartFromSidebarAsync(page, "Mobile app", "Login screen");
        var login = rows.Filter(new() { HasText = "Login screen" });
        await Expect(login.Locator("[data-beat]")).ToHaveTextAsync("Active");
        await Expect(hero.Locator("[data-beat]")).ToHaveTextAsync("Idle");
        await Expect(login).ToHaveClassAsync(new Regex("focused"));
        await Expect(hero).Not.ToHaveClassAsync(new Regex("focused"));

        // Focusing the first row again drops the second.
        await hero.GetByRole(AriaRole.Button, new() { Name = "Active", Exact = true }).ClickAsync();
        await Expect(hero.Locator("[data-beat]")).ToHaveTextAsync("Active");
        await Expect(login.Locator("[data-beat]")).ToHaveTextAsync("Idle");

        // ... or hands it to its agent, when the sidebar says so (API: previous = "agent").
        await page.GetByLabel("When I switch, hand the previous session to its agent").CheckAsync();
        await login.GetByRole(AriaRole.Button, new() { Name = "Active", Exact = true }).ClickAsync();
        await Expect(login.Locator("[data-beat]")).ToHaveTextAsync("Active");
        await Expect(hero.Locator("[data-beat]")).ToHaveTextAsync("Agent");
        await page.GetByLabel("When I switch, hand the previous session to its agent").UncheckAsync();

        // An agent, created in the app; its token is shown once.
        await page.GetByRole(AriaRole.Link, new() { Name = "Agents" }).ClickAsync();
        await page.GetByLabel("Name").FillAsync("builder");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create agent" }).ClickAsync();
        await Expect(page.Locator("[data-secret]")).ToHaveTextAsync(new Regex("^hd_agt_live_"));
        var secret = await page.Locator("[data-secret]").TextContentAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "builder" })).ToContainTextAsync("active");
        await Screenshots.SaveAsync(page, "agents");

        // Live: the agent's session and beats, sent through the API of another node over the same
        // database, appear without a reload (PostgreSQL NOTIFY → this node → the page's event stream).
        await page.GotoAsync("/");
        await page.EvaluateAsync("window.__sameDocument = true");
        await using var otherNode = await HourdiniServer.StartNodeAsync(browser.Server.ConnectionString);
        using var agent = ApiClient.WithToken(otherNode.BaseAddress, secret!);
        var started = (await agent.PostAsync("/api/v1/sessions", new { project_name = "website", description = "Agent refactor" }))
            .Expect(System.Net.HttpStatusCode.Created)["session"];
        var agentRow = rows.Filter(new() { HasText = "Agent refactor" });
        await Expect(agentRow.Locator("[data-beat]")).ToHaveTextAsync("Agent");
        await Expect(agentRow).ToContainTextAsync("builder");
        (await agent.PostAsync($"/api/v1/sessions/{started.Str("id")}/beat", new { kind = "idle" })).Expect(System.Net.HttpStatusCode.OK);
        await Expect(agentRow.Locator("[data-beat]")).ToHaveTextAsync("Idle");
        Assert.True(await page.EvaluateAsync<bool>("window.__sameDocument === true"), "the page must update in place, not reload");
        await Screenshots.SaveAsync(page, "sidebar");

        // The detail page: the agent's log shows up live in the timeline.
        await agentRow.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Website redesign" })).ToBeVisibleAsync();
        (await agent.PostAsync($"/api/v1/sessions/{started.Str("id")}/events", new { type = "log", message = "Split the hero component" }))
            .Expect(System.Net.HttpStatusCode.Created);
        await Expect(page.Locator(".events")).ToContainTextAsync("Split the hero component");

        // End the human session from its detail page; it becomes read-only with its entry.
        await page.GotoAsync("/");
        await hero.GetByRole(AriaRole.Link).ClickAsync();
        // active → agent → idle → active, idle when "Login screen" took the focus, active again,
        // then agent when "Login screen" took it back with the hand-off.
        await Expect(page.Locator(".beatbar .segment")).ToHaveCountAsync(7);
        await Screenshots.SaveAsync(page, "session-detail");
        await page.GetByRole(AriaRole.Button, new() { Name = "End session" }).ClickAsync();
        await Expect(page.Locator("#session-detail")).ToHaveAttributeAsync("data-status", "stopped");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Time entry" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "End session" })).ToHaveCountAsync(0);
        await Expect(rows.Filter(new() { HasText = "Homepage hero" })).ToHaveCountAsync(0);
        await Screenshots.SaveAsync(page, "session-stopped");

        // R6: the session wrote one entry, listed on /entries by day, marked as a session's.
        await page.GetByRole(AriaRole.Link, new() { Name = "Time entries" }).ClickAsync();
        var entry = page.Locator("li.entry").Filter(new() { HasText = "Homepage hero" });
        await Expect(entry).ToHaveCountAsync(1);
        await Expect(entry).ToContainTextAsync("Website redesign");
        await Expect(entry.Locator(".badge")).ToHaveTextAsync("session");
        await Expect(entry.GetByRole(AriaRole.Button, new() { Name = "Edit entry Homepage hero" })).ToHaveCountAsync(0); // R7
        await Screenshots.SaveAsync(page, "entries");

        // An owner disables the agent in the app: from then on it is refused (403 agent_disabled).
        await page.GetByRole(AriaRole.Link, new() { Name = "Agents" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Disable builder" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "builder" })).ToContainTextAsync("disabled");
        (await agent.GetAsync("/api/v1/me")).ExpectProblem(System.Net.HttpStatusCode.Forbidden, "agent_disabled");

        Assert.Empty(errors);
    }

    private static async Task StartFromSidebarAsync(IPage page, string project, string description)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "New session" }).ClickAsync();
        var form = page.GetByRole(AriaRole.Form, new() { Name = "New session" });
        await form.GetByLabel("Project").SelectOptionAsync(new SelectOptionValue { Label = project });
        await form.GetByLabel("Description").FillAsync(description);
        await form.GetByRole(AriaRole.Button, new() { Name = "Start session" }).ClickAsync();
        await Expect(page.Locator("#session-rows li.session-row").Filter(new() { HasText = description })).ToHaveCountAsync(1);
        await Expect(form).ToBeHiddenAsync();
    }
}
