using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// Long names at phone width (375×812): the clients, tokens and agents tables reflow into one card per row, so Edit,
/// Revoke and Disable are on screen without a sideways scroll; the invoice form's client picker and the account page's
/// email address wrap instead of widening the page, as does a name with no space in it. At 1366×900 the tables keep their
/// columns.
/// </summary>
public sealed class PhoneFitTests(Browser browser) : IClassFixture<Browser>
{
    private const string LongClient = "Umbrella Corporation International Holdings";

    [Theory]
    [InlineData(375, 812)]
    [InlineData(1366, 900)]
    public async Task Pages_with_long_names_fit_the_screen_and_keep_their_buttons_in_reach(int width, int height)
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page, "Ada Freelance-with-a-rather-long-name");
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "laptop CLI for the build box"));
        await api.CreateClientAsync(LongClient);
        await api.CreateClientAsync(new string('X', 200)); // the longest name the form takes, with nowhere to break
        await page.GotoAsync("/settings/agents");
        await page.GetByLabel("Name").FillAsync("claude-code on the build box");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create agent" }).ClickAsync();
        await Expect(page.Locator("#agent-list")).ToContainTextAsync("claude-code on the build box");
        await page.SetViewportSizeAsync(width, height);

        foreach (var (path, button, shot) in new (string, string?, string)[]
                 {
                     ("/settings/tokens", "Revoke laptop CLI for the build box", "settings-tokens"),
                     ("/settings/agents", "Disable claude-code on the build box", "settings-agents"),
                     ("/settings/account", null, "settings-account"),
                     ("/clients", $"Edit {LongClient}", "clients-long-name"),
                     ("/invoices", "Draft invoice", "invoices-long-name"),
                 })
        {
            await page.GotoAsync(path);
            if (button is not null)
            {
                var target = page.GetByRole(AriaRole.Button, new() { Name = button });
                await target.ScrollIntoViewIfNeededAsync();
                await Expect(target).ToBeInViewportAsync(new() { Ratio = 1 });
                var box = await target.BoundingBoxAsync();
                Assert.True(box!.X + box.Width <= width, $"{button} ends at {box.X + box.Width} px on {path}");
            }

            var pageWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            Assert.True(pageWidth <= width, $"{path} is {pageWidth} px wide at {width} px");
            await Screenshots.SaveAsync(page, $"{shot}-{width}");
        }

        if (width >= 1000)
        {
            await page.GotoAsync("/settings/tokens");
            await Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = "Last used" })).ToBeVisibleAsync();
        }

        Assert.Empty(errors);
    }
}
