using System.Net;
using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// Issue 27, items 7 and 8: Today's Tracked counts the running timer and open sessions as they go; a recent entry
/// continues in one click as a timer (same project, description, tags) or a session, and the projects just worked on
/// head the pickers. At phone and desktop widths.
/// </summary>
public sealed class RunningWorkTests(Browser browser) : IClassFixture<Browser>
{
    [Theory]
    [MemberData(nameof(CatalogWebTests.Widths), MemberType = typeof(CatalogWebTests))]
    public async Task Todays_Tracked_counts_a_running_timer_and_an_open_session_live(int width, int height)
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var project = await api.CreateProjectAsync(await api.CreateClientAsync("Globex"), "Design system");
        (await api.PostAsync("/api/v1/time-entries", new
        {
            project_id = project, started_at = DateTimeOffset.UtcNow.AddMinutes(-3), duration_seconds = 60, description = "done before",
        })).Expect(HttpStatusCode.Created);
        await page.SetViewportSizeAsync(width, height);

        // A running timer: Tracked is the entry's minute plus the timer's time so far, and goes on counting.
        (await api.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project, description = "running" })).Expect(HttpStatusCode.Created);
        await page.GotoAsync("/");
        var tracked = page.Locator("#today-tracked");
        var first = Seconds(await tracked.TextContentAsync());
        Assert.InRange(first, 60, 70);
        await Expect(tracked).Not.ToHaveTextAsync(Format(first), new() { Timeout = 4_000 });
        Assert.True(Seconds(await tracked.TextContentAsync()) > first);

        // The timer stops into an entry and a session takes over: its active time counts as it goes, too.
        (await api.SendAsync(HttpMethod.Delete, "/api/v1/timer")).Expect(HttpStatusCode.OK);
        await api.StartSessionAsync(project, "a session");
        await page.ReloadAsync();
        var withSession = Seconds(await tracked.TextContentAsync());
        Assert.True(withSession >= first, $"Tracked fell from {first} s to {withSession} s");
        await Expect(tracked).Not.ToHaveTextAsync(Format(withSession), new() { Timeout = 4_000 });
        await Expect(page.Locator("#today-billable")).Not.ToHaveTextAsync("0:01:00");
        await Screenshots.SaveAsync(page, width < 800 ? "phone-today" : "today");
        Assert.Empty(errors);
    }

    [Theory]
    [MemberData(nameof(CatalogWebTests.Widths), MemberType = typeof(CatalogWebTests))]
    public async Task A_recent_entry_continues_in_one_click_as_a_timer_or_a_session(int width, int height)
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var acme = await api.CreateClientAsync("Acme");
        await api.CreateProjectAsync(acme, "Archive");
        var website = await api.CreateProjectAsync(acme, "Website");
        (await api.PostAsync("/api/v1/time-entries", new
        {
            project_id = website, started_at = DateTimeOffset.UtcNow.AddMinutes(-30), duration_seconds = 600,
            description = "Hero banner", tags = new[] { "design" },
        })).Expect(HttpStatusCode.Created);
        await page.SetViewportSizeAsync(width, height);

        // ▶ on the entry: a timer on the same project, description and tags.
        await page.GotoAsync("/");
        var entry = page.Locator("li.entry").Filter(new() { HasText = "Hero banner" });
        var continueEntry = entry.GetByRole(AriaRole.Button, new() { Name = "Continue entry Hero banner as a timer" });
        await continueEntry.ClickAsync();
        await Expect(page.Locator("#timer-card")).ToContainTextAsync("Hero banner");
        var timer = (await api.GetAsync("/api/v1/timer"))["timer"];
        Assert.Equal((website, "Hero banner", "design"), (timer.Str("project_id"), timer.Str("description"), timer.GetProperty("tags")[0].GetString()));
        await Expect(continueEntry).ToBeFocusedAsync(); // the focus stays where the user was

        // The sidebar's Recent list continues it as a session (R3: the timer stops into its entry first).
        await CatalogWebTests.OpenSidebarAsync(page, width);
        var recent = page.GetByRole(AriaRole.Region, new() { Name = "Recent" });
        await Expect(recent).ToContainTextAsync("Hero banner");
        await Screenshots.SaveAsync(page, width < 800 ? "phone-recent" : "recent");
        await recent.GetByRole(AriaRole.Button, new() { Name = "Continue Hero banner on Website as a session" }).ClickAsync();
        await Expect(page.Locator("#session-rows li.session-row").Filter(new() { HasText = "Hero banner" })).ToHaveCountAsync(1);
        var session = (await api.GetAsync("/api/v1/sessions?status=open"))["sessions"].EnumerateArray().Single();
        Assert.Equal((website, "Hero banner"), (session.Str("project_id"), session.Str("description")));
        Assert.Equal(JsonNull, (await api.GetAsync("/api/v1/timer"))["timer"].ValueKind);

        // The project just worked on heads the pickers.
        await Expect(page.Locator("#start-project optgroup").First).ToHaveAttributeAsync("label", "Recent");
        await Expect(page.Locator("#start-project option:checked, #start-project optgroup[label='Recent'] option").Nth(1)).ToHaveTextAsync("Website · Acme");
        Assert.Empty(errors);
    }

    private const System.Text.Json.JsonValueKind JsonNull = System.Text.Json.JsonValueKind.Null;

    private static long Seconds(string? clock)
    {
        var parts = clock!.Trim().Split(':').Select(long.Parse).ToArray();
        return (parts[0] * 3600) + (parts[1] * 60) + parts[2];
    }

    private static string Format(long seconds) => $"{seconds / 3600}:{seconds % 3600 / 60:00}:{seconds % 60:00}";
}
