using System.Net;
using System.Text.Json;
using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// Issue 27, item 7: the main pages have no serious or critical accessibility violations as axe-core finds them
/// (contrast of the idle badge and everything else included), at phone and desktop widths; after an action the keyboard
/// focus goes on from where the user was instead of falling back to the top of the page.
/// </summary>
public sealed class AccessibilityTests(Browser browser) : IClassFixture<Browser>
{
    [Theory]
    [MemberData(nameof(CatalogWebTests.Widths), MemberType = typeof(CatalogWebTests))]
    public async Task The_main_pages_have_no_serious_or_critical_axe_violations(int width, int height)
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var project = await api.CreateProjectAsync(await api.CreateClientAsync("Initech", currency: "EUR"), "Parser", billAgentTime: true);
        (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = DateTimeOffset.UtcNow.AddHours(-2), duration_seconds = 1800, description = "spec review" }))
            .Expect(HttpStatusCode.Created);
        var session = (await api.StartSessionAsync(project, "quick beats")).Str("id");
        await api.BeatAsync(session, "agent");
        await api.BeatAsync(session, "idle"); // the idle badge, in the sidebar and on the session's page
        await api.StartSessionAsync(project, "driving"); // and an active one beside it
        await page.SetViewportSizeAsync(width, height);
        // Injected the way Playwright's own scripts are, before each page's scripts: the app's CSP forbids inline script tags.
        await page.Context.AddInitScriptAsync(scriptPath: NodeTools.Module("axe-core/axe.min.js"));

        var found = new List<string>();
        foreach (var path in new[] { "/", "/projects", "/reports", "/invoices", "/sessions", $"/sessions/{session}", "/entries", "/clients" })
        {
            await page.GotoAsync(path);
            var result = await page.EvaluateAsync<JsonElement>("async () => (await axe.run(document, { resultTypes: ['violations'] })).violations");
            found.AddRange(result.EnumerateArray()
                .Where(v => v.GetProperty("impact").GetString() is "serious" or "critical")
                .Select(v => $"{path} at {width} px: {v.GetProperty("id").GetString()} ({v.GetProperty("impact").GetString()}): "
                    + string.Join("; ", v.GetProperty("nodes").EnumerateArray().Take(3).Select(n => n.GetProperty("target")[0].ToString()))));
        }

        Assert.True(found.Count == 0, string.Join("\n", found));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Focus_goes_on_from_where_the_user_was_after_start_stop_and_a_dialog()
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        await api.CreateProjectAsync(await api.CreateClientAsync("Globex"), "Design system");
        await page.GotoAsync("/");

        // Start a timer from the sidebar's button with the keyboard: the dialog opens on its first field…
        var startTimer = page.GetByRole(AriaRole.Button, new() { Name = "Start timer" });
        await startTimer.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Log time" });
        var start = dialog.GetByRole(AriaRole.Tabpanel, new() { Name = "Start" });
        await Expect(start.GetByLabel("Project")).ToBeFocusedAsync();

        // … closing it with Escape gives the focus back to that button …
        await page.Keyboard.PressAsync("Escape");
        await Expect(startTimer).ToBeFocusedAsync();

        // … and once the timer starts, the focus is on the timer card's Stop, which replaced the button.
        await page.Keyboard.PressAsync("Enter");
        await start.GetByLabel("Project").SelectOptionAsync(new SelectOptionValue { Label = "Design system" });
        await start.GetByLabel("Description").FillAsync("Tokens");
        await page.Keyboard.PressAsync("Enter");
        var stop = page.GetByRole(AriaRole.Button, new() { Name = "Stop" });
        await Expect(stop).ToBeFocusedAsync();

        // Stop: the button goes, and the focus moves to the Start timer button that takes its place, not to the page's top.
        await page.Keyboard.PressAsync("Enter");
        await Expect(startTimer).ToBeFocusedAsync();

        // A session started from the sidebar's + panel: the focus goes back to +, and ending its row leaves it in the list.
        var (plus, form) = await StartSessionFromTheSidebarAsync(page, "Design system", "Pairing");
        await Expect(form).ToBeHiddenAsync();
        await Expect(plus).ToBeFocusedAsync();
        var row = page.Locator("#session-rows li.session-row").Filter(new() { HasText = "Pairing" });
        await row.GetByRole(AriaRole.Button, new() { Name = "End" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(row).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Today", Exact = true })).ToBeFocusedAsync(); // not <body>
        Assert.Empty(errors);
    }

    [Fact]
    public async Task An_action_that_ends_after_the_user_has_moved_on_leaves_the_focus_where_the_user_put_it()
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var project = await api.CreateProjectAsync(await api.CreateClientAsync("Globex"), "Design system");
        (await api.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project, description = "Tokens" })).Expect(HttpStatusCode.Created);
        await page.GotoAsync("/");
        // A slow network: the page's refresh after each change takes two seconds to come back.
        var refreshing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync(url => new Uri(url).AbsolutePath == "/", async route =>
        {
            if (route.Request.ResourceType == "fetch")
            {
                refreshing.TrySetResult();
                await Task.Delay(2000);
            }

            await route.ContinueAsync();
        });

        // Stop the timer, and once its refresh is under way, start a session from the sidebar's + panel.
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await refreshing.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var (plus, _) = await StartSessionFromTheSidebarAsync(page, "Design system", "Pairing");

        // Both finish: the stop's own focus plan is stale by then, so the focus goes to +, where the session's form puts it.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Start timer" })).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await Expect(page.Locator("#session-rows li.session-row").Filter(new() { HasText = "Pairing" })).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        await Expect(plus).ToBeFocusedAsync(new() { Timeout = 10_000 });
        Assert.Empty(errors);
    }

    /// <summary>Opens the sidebar's + panel, fills it in and submits it with Enter, as a keyboard user would.</summary>
    private static async Task<(ILocator Plus, ILocator Form)> StartSessionFromTheSidebarAsync(IPage page, string project, string description)
    {
        var plus = page.GetByRole(AriaRole.Button, new() { Name = "New session" });
        await plus.ClickAsync();
        var form = page.GetByRole(AriaRole.Form, new() { Name = "New session" });
        await form.GetByLabel("Project").SelectOptionAsync(new SelectOptionValue { Label = project });
        await form.GetByLabel("Description").FillAsync(description);
        await form.GetByLabel("Description").PressAsync("Enter");
        return (plus, form);
    }
}
