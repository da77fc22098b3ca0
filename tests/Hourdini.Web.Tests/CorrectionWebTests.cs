using System.Net;
using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>R27 in the browser: a session's entry offers Correct (not Edit or Delete), and a correction shows on the list.</summary>
public sealed class CorrectionWebTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task A_sessions_entry_is_corrected_from_the_entries_page()
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var project = await api.CreateProjectAsync(await api.CreateClientAsync("Initech"), "Parser");
        var session = (await api.StartSessionAsync(project, "Parser work")).Str("id");
        await Task.Delay(2200);
        var entry = (await api.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK)["entry"];

        await page.GotoAsync("/entries");
        var row = page.Locator("li.entry").Filter(new() { HasText = "Parser work" });
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Edit entry Parser work" })).ToHaveCountAsync(0);
        await row.GetByRole(AriaRole.Button, new() { Name = "Correct entry Parser work" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Correct entry" });
        await Expect(dialog.GetByLabel("Billed duration")).ToHaveValueAsync($"0:00:0{entry.Long("duration_seconds")}");
        await dialog.GetByLabel("Description").FillAsync("Parser work, reviewed");
        await dialog.GetByLabel("Billed duration").FillAsync("0:00:01");
        await Screenshots.SaveAsync(page, "entries-correct");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save correction" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();

        row = page.Locator("li.entry").Filter(new() { HasText = "Parser work, reviewed" });
        await Expect(row.Locator(".entry-duration")).ToHaveTextAsync("0:00:01*");
        var stored = (await api.GetAsync($"/api/v1/time-entries/{entry.Str("id")}")).Expect(HttpStatusCode.OK)["time_entry"];
        Assert.Equal(1, stored.Long("duration_seconds"));
        Assert.Equal(entry.Long("duration_seconds"), stored.Long("original_duration_seconds"));
        Assert.Empty(errors);
    }
}
