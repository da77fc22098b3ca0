using System.Net;
using System.Text.RegularExpressions;
using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// The timer card and its S key, the Log time modal (Start and Manual tabs), manual entries on
/// /entries, personal access tokens, switching orgs, and what another user's ids show (404).
/// </summary>
public sealed class TimerAndEntriesTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task S_starts_a_timer_from_the_Log_time_modal_and_stops_it_into_a_timer_entry()
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var globex = await api.CreateClientAsync("Globex");
        await api.CreateProjectAsync(globex, "Design system");
        var legacy = await api.CreateProjectAsync(globex, "Legacy site");

        await page.GotoAsync("/");
        await page.Keyboard.PressAsync("s");
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Log time" });
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.GetByRole(AriaRole.Tab, new() { Name = "Start" })).ToHaveAttributeAsync("aria-selected", "true");
        var start = dialog.GetByRole(AriaRole.Tabpanel, new() { Name = "Start" });
        await Expect(start.GetByLabel("Timer")).ToBeCheckedAsync();
        await start.GetByLabel("Project").SelectOptionAsync(new SelectOptionValue { Label = "Design system" });
        await start.GetByLabel("Description").FillAsync("Tokens and spacing");
        await Screenshots.SaveAsync(page, "log-time");
        await start.GetByRole(AriaRole.Button, new() { Name = "Start" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();

        // The running-timer card: project, description, a clock that moves.
        var card = page.Locator("#timer-card");
        await Expect(card).ToContainTextAsync("Design system");
        await Expect(card).ToContainTextAsync("Tokens and spacing");
        await Expect(card.Locator("time.elapsed")).Not.ToHaveTextAsync("0:00:00", new() { Timeout = 5_000 });
        var timer = (await api.GetAsync("/api/v1/timer")).Expect(HttpStatusCode.OK)["timer"];
        Assert.Equal("Tokens and spacing", timer.Str("description"));
        await Screenshots.SaveAsync(page, "timer");

        // S again stops it; the timer's entry is on /entries.
        await page.Keyboard.PressAsync("s");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Start timer" })).ToBeVisibleAsync();
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await api.GetAsync("/api/v1/timer")).Expect(HttpStatusCode.OK)["timer"].ValueKind);
        await page.GotoAsync("/entries");
        var entry = page.Locator("li.entry").Filter(new() { HasText = "Tokens and spacing" });
        await Expect(entry.Locator(".badge")).ToHaveTextAsync("timer");

        Assert.Empty(errors);

        // A refusal is shown in the form, with the API's words; nothing starts: here the project was archived after the page
        // was drawn. (Chromium logs the refused call's 409 on the console, so this step comes after the check for console errors.)
        (await api.SendAsync(HttpMethod.Patch, $"/api/v1/projects/{legacy}", new { archived = true })).Expect(HttpStatusCode.OK);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log time" }).ClickAsync();
        await start.GetByLabel("Session").CheckAsync();
        await start.GetByLabel("Project").SelectOptionAsync(new SelectOptionValue { Label = "Legacy site" });
        await start.GetByRole(AriaRole.Button, new() { Name = "Start" }).ClickAsync();
        await Expect(start.GetByRole(AriaRole.Alert)).ToContainTextAsync("archived");
        Assert.Empty((await api.GetAsync("/api/v1/sessions?status=open")).Expect(HttpStatusCode.OK)["sessions"].EnumerateArray());
    }

    [Fact]
    public async Task An_entry_past_midnight_says_it_ends_the_next_day_and_one_that_ends_before_it_starts_is_refused()
    {
        var (page, errors) = await browser.NewPageAsync(timezone: "Europe/Berlin");
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        await api.CreateProjectAsync(await api.CreateClientAsync("Initech"), "Night shift");

        await page.GotoAsync("/entries");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add entry" }).ClickAsync();
        var manual = page.GetByRole(AriaRole.Tabpanel, new() { Name = "Manual" });
        await manual.GetByLabel("Project").SelectOptionAsync(new SelectOptionValue { Label = "Night shift" });
        await manual.GetByLabel("Description").FillAsync("Deploy");
        await manual.GetByLabel("Date").FillAsync("2026-11-20");
        await manual.GetByLabel("From").FillAsync("23:00");
        await manual.GetByLabel("To").FillAsync("01:00");

        // R24: an end before the start is not silently moved to the next day; the form says so next to To, in its own words.
        await manual.GetByRole(AriaRole.Button, new() { Name = "Save entry" }).ClickAsync();
        var to = manual.GetByLabel("To");
        await Expect(to).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(to).ToBeFocusedAsync();
        await Expect(to).ToHaveAccessibleDescriptionAsync(new System.Text.RegularExpressions.Regex("^To must be after From.*Ends the next day"));
        Assert.Empty((await api.GetAsync("/api/v1/time-entries")).Expect(HttpStatusCode.OK)["time_entries"].EnumerateArray());

        // Said explicitly, it is a two-hour entry from 23:00 to 01:00 Berlin time.
        await manual.GetByLabel("Ends the next day").CheckAsync();
        await manual.GetByRole(AriaRole.Button, new() { Name = "Save entry" }).ClickAsync();
        await Expect(manual).ToBeHiddenAsync();
        var stored = (await api.GetAsync("/api/v1/time-entries")).Expect(HttpStatusCode.OK)["time_entries"].EnumerateArray().Single();
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 22, 0, 0, TimeSpan.Zero), stored.GetProperty("started_at").GetDateTimeOffset());
        Assert.Equal(7200, stored.Long("duration_seconds"));

        // Editing it shows the box ticked.
        await page.GotoAsync("/entries?from=2026-11-20&to=2026-11-21");
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit entry Deploy" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog, new() { Name = "Edit entry" }).GetByLabel("Ends the next day")).ToBeCheckedAsync();
        Assert.Empty(errors); // the form caught it before asking the server
    }

    [Fact]
    public async Task A_manual_entry_is_backfilled_in_the_browsers_time_zone_edited_filtered_and_deleted()
    {
        var (page, errors) = await browser.NewPageAsync(timezone: "Europe/Berlin");
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var client = await api.CreateClientAsync("Initech");
        var reports = await api.CreateProjectAsync(client, "TPS reports");
        var other = await api.CreateProjectAsync(client, "Printer");
        (await api.PostAsync("/api/v1/time-entries", new
        {
            project_id = other,
            started_at = DateTimeOffset.UtcNow.AddHours(-3),
            duration_seconds = 600,
            description = "Paper jam",
        })).Expect(HttpStatusCode.Created);

        await page.GotoAsync("/entries");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add entry" }).ClickAsync();
        var manual = page.GetByRole(AriaRole.Tabpanel, new() { Name = "Manual" });
        await Expect(manual).ToBeVisibleAsync();
        await manual.GetByLabel("Project").SelectOptionAsync(new SelectOptionValue { Label = "TPS reports" });
        await manual.GetByLabel("Description").FillAsync("Cover sheets");
        await manual.GetByLabel("Date").FillAsync("2026-11-20");
        await manual.GetByLabel("From").FillAsync("09:00");
        await manual.GetByLabel("To").FillAsync("10:30");
        await manual.GetByRole(AriaRole.Button, new() { Name = "Save entry" }).ClickAsync();

        // 09:00 in Berlin on 20 November is 08:00 UTC.
        await page.GotoAsync("/entries?from=2026-11-20&to=2026-11-21");
        var entry = page.Locator("li.entry").Filter(new() { HasText = "Cover sheets" });
        await Expect(entry).ToContainTextAsync("09:00–10:30");
        await Expect(entry.Locator(".entry-duration")).ToHaveTextAsync("1:30:00");
        await Expect(page.Locator("section.day").Filter(new() { HasText = "Cover sheets" }).Locator("h2")).ToHaveTextAsync("Friday, 20 November 2026");
        var stored = (await api.GetAsync("/api/v1/time-entries?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z")).Expect(HttpStatusCode.OK)["time_entries"]
            .EnumerateArray().Single(e => e.Str("description") == "Cover sheets");
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.Zero), stored.GetProperty("started_at").GetDateTimeOffset());
        Assert.Equal("manual", stored.Str("source"));

        // Edit: a longer afternoon.
        await entry.GetByRole(AriaRole.Button, new() { Name = "Edit entry Cover sheets" }).ClickAsync();
        var edit = page.GetByRole(AriaRole.Dialog, new() { Name = "Edit entry" });
        await Expect(edit.GetByLabel("From")).ToHaveValueAsync("09:00");
        await edit.GetByLabel("Description").FillAsync("Cover sheets, new format");
        await edit.GetByLabel("To").FillAsync("11:00");
        await edit.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        entry = page.Locator("li.entry").Filter(new() { HasText = "Cover sheets, new format" });
        await Expect(entry.Locator(".entry-duration")).ToHaveTextAsync("2:00:00");
        await Screenshots.SaveAsync(page, "entries-manual");

        // The project filter.
        await page.GotoAsync("/entries");
        var filters = page.GetByRole(AriaRole.Form, new() { Name = "Filter entries" });
        await filters.GetByLabel("Project").SelectOptionAsync(new SelectOptionValue { Label = "Printer" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(page.Locator("li.entry")).ToHaveCountAsync(1);
        await Expect(page.Locator("li.entry")).ToContainTextAsync("Paper jam");

        // Delete.
        await page.GotoAsync("/entries?from=2026-11-20&to=2026-11-20");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete entry Cover sheets, new format" }).ClickAsync();
        await Expect(page.Locator("li.entry").Filter(new() { HasText = "Cover sheets" })).ToHaveCountAsync(0);
        Assert.DoesNotContain(
            (await api.GetAsync("/api/v1/time-entries?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z")).Expect(HttpStatusCode.OK)["time_entries"].EnumerateArray(),
            e => e.Str("description").StartsWith("Cover sheets", StringComparison.Ordinal));

        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_revoked_token_stops_working_and_another_users_session_is_not_found()
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        var secret = await Browser.MintTokenAsync(page, "ci");
        using var pat = ApiClient.WithToken(browser.Server.BaseAddress, secret);
        (await pat.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "ci" })).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "tokens");

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke ci" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "ci" })).ToHaveCountAsync(0);
        (await pat.GetAsync("/api/v1/me")).ExpectProblem(HttpStatusCode.Unauthorized, "unauthorized");

        Assert.Empty(errors);

        // Someone else's session, in another org: the page says not found and shows nothing of it.
        var (stranger, _, _) = await ApiClient.SignUpAsync(browser.Server.BaseAddress);
        var theirs = await stranger.StartSessionAsync(
            await stranger.CreateProjectAsync(await stranger.CreateClientAsync("Secret client"), "Secret project"), "secret plans");
        var response = await page.GotoAsync($"/sessions/{theirs.Str("id")}");
        Assert.Equal(404, response!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Session not found" })).ToBeVisibleAsync();
        Assert.DoesNotContain("secret", await page.ContentAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Switching_org_scopes_every_page_to_the_chosen_org()
    {
        var (page, errors) = await browser.NewPageAsync();
        var email = await Browser.SignUpAsync(page, "Grace Contractor");
        var (agency, _, _) = await ApiClient.SignUpAsync(browser.Server.BaseAddress);
        (await agency.SendAsync(HttpMethod.Patch, "/api/v1/org", new { name = "Agency Ltd" })).Expect(HttpStatusCode.OK);
        await agency.CreateProjectAsync(await agency.CreateClientAsync("Agency client"), "Agency project");
        var invitation = await agency.InviteAsync(email, "member");
        Assert.Equal(200, await page.EvaluateAsync<int>(
            """
            async token => (await fetch("/api/v1/invitations/accept", {
                method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ accept_token: token }) })).status
            """, invitation));

        await page.GotoAsync("/projects");
        await Expect(page.GetByText("Agency project")).ToHaveCountAsync(0);
        var switcher = page.GetByRole(AriaRole.Combobox, new() { Name = "Organization" });
        await switcher.SelectOptionAsync(new SelectOptionValue { Label = "Agency Ltd (member)" });
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Today", Exact = true })).ToBeVisibleAsync();
        await page.GotoAsync("/projects");
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "Agency project" })).ToBeVisibleAsync();
        await Expect(switcher).ToHaveValueAsync(new Regex(".+"));
        Assert.Contains("Agency Ltd", await switcher.Locator("option:checked").TextContentAsync());

        Assert.Empty(errors);
    }
}
