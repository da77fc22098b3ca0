using System.Net;
using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// Issue 27, item 6: at phone width (375×812) the page's own content comes first, the sidebar (timer, sessions,
/// navigation) opens from the top bar's Menu, the top bar stays one line, entry rows reflow instead of squeezing their
/// description, and the projects table keeps its Bill agent time switches in reach; at 1366×900 nothing of that shows.
/// </summary>
public sealed class PhoneLayoutTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task At_375_px_content_comes_first_and_the_menu_opens_the_navigation()
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var project = await api.CreateProjectAsync(await api.CreateClientAsync("Initech"), "TPS reports");
        (await api.PostAsync("/api/v1/time-entries", new
        {
            project_id = project,
            started_at = DateTimeOffset.UtcNow.AddHours(-2),
            duration_seconds = 1800,
            description = "Cover sheets for every report, in the new format",
        })).Expect(HttpStatusCode.Created);

        await page.SetViewportSizeAsync(375, 812);
        await page.GotoAsync("/entries");

        // Content first: the heading is on the first screen, the sidebar is not.
        var heading = await page.GetByRole(AriaRole.Heading, new() { Name = "Time entries" }).BoundingBoxAsync();
        Assert.True(heading!.Y < 200, $"the heading starts at {heading.Y} px");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Projects" })).Not.ToBeInViewportAsync();
        var topbar = await page.Locator("header.topbar").BoundingBoxAsync();
        Assert.True(topbar!.Height < 70, $"the top bar is {topbar.Height} px tall (wrapped?)");

        // The entry shows its whole description and its times.
        var row = page.Locator("li.entry").Filter(new() { HasText = "Cover sheets" });
        await Expect(row.Locator(".entry-desc")).ToHaveTextAsync("Cover sheets for every report, in the new format");
        await Expect(row.Locator(".entry-range")).ToBeVisibleAsync();
        var description = await row.Locator(".entry-desc").BoundingBoxAsync();
        Assert.True(description!.Width > 150, $"the description is squeezed to {description.Width} px");
        await Screenshots.SaveAsync(page, "phone-entries");

        // Menu opens the drawer; Escape closes it and gives the focus back.
        var menu = page.GetByRole(AriaRole.Button, new() { Name = "Menu" });
        await menu.ClickAsync();
        await Expect(menu).ToHaveAttributeAsync("aria-expanded", "true");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Projects" })).ToBeInViewportAsync(new() { Ratio = 1 });
        await page.WaitForTimeoutAsync(300); // the drawer slides in
        await Screenshots.SaveAsync(page, "phone-menu");
        await page.Keyboard.PressAsync("Escape");
        await Expect(menu).ToHaveAttributeAsync("aria-expanded", "false");
        await Expect(menu).ToBeFocusedAsync();

        // The projects table reflows: the switch is on screen, labelled.
        await page.GotoAsync("/projects");
        var toggle = page.GetByRole(AriaRole.Switch, new() { Name = "Bill agent time for TPS reports" });
        await toggle.ScrollIntoViewIfNeededAsync();
        await Expect(toggle).ToBeInViewportAsync(new() { Ratio = 1 });
        var box = await toggle.BoundingBoxAsync();
        Assert.True(box!.X + box.Width <= 375, $"the switch ends at {box.X + box.Width} px");
        await toggle.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Switch, new() { Name = "Bill agent time for TPS reports" })).ToHaveAttributeAsync("aria-checked", "true");
        await Screenshots.SaveAsync(page, "phone-projects");

        // The org's name shows in the top bar's switch.
        var org = await page.Locator("#org-switch").BoundingBoxAsync();
        Assert.True(org!.Width > 120, $"the org switch is {org.Width} px wide");

        // At desktop width the sidebar is simply there, and there is no menu button.
        await page.SetViewportSizeAsync(1366, 900);
        await Expect(menu).ToBeHiddenAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Time entries" })).ToBeInViewportAsync();
        Assert.Empty(errors);
    }
}
