using System.Net;
using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// API.md "Accounts" (additions), in the browser: changing the password on /settings/account signs every other browser
/// out and keeps this one; logging out revokes the cookie, so a copy taken before is refused (issue 24, item 6).
/// </summary>
public sealed class AccountTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task Changing_the_password_signs_other_browsers_out_and_logging_out_revokes_the_cookie()
    {
        var (page, errors) = await browser.NewPageAsync();
        var email = await Browser.SignUpAsync(page);
        var (other, _) = await browser.NewPageAsync();
        await other.GotoAsync("/login");
        await other.GetByLabel("Email").FillAsync(email);
        await other.GetByLabel("Password").FillAsync("correct horse battery");
        await other.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(other.GetByRole(AriaRole.Heading, new() { Name = "Today", Exact = true })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Account" }).ClickAsync();
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Change password" });
        await form.GetByLabel("Current password").FillAsync("correct horse battery");
        await form.GetByLabel("New password").FillAsync("a much better passphrase");
        await form.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(page.GetByText("Password changed.")).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "account-password");

        // The other browser is signed out at its next request; this one is not.
        await other.ReloadAsync();
        await Expect(other).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"));
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Account" })).ToBeVisibleAsync();

        // A copy of the cookie taken before logging out is refused afterwards.
        var cookie = string.Join("; ", (await page.Context.CookiesAsync()).Select(c => $"{c.Name}={c.Value}"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"));
        using var replay = new HttpClient { BaseAddress = browser.Server.BaseAddress };
        replay.DefaultRequestHeaders.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.GetAsync("/api/v1/me")).StatusCode);
        Assert.Empty(errors);
    }
}
