using System.Net;
using System.Text.RegularExpressions;
using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// Issue 27, item 7: two clients' "Backend API" projects are both startable (pickers choose by id); a duplicate name within
/// one client is refused next to the Name field (R23); clients and projects have their own colours, edited with their
/// names and rates in the app. At phone and desktop widths.
/// </summary>
public sealed class CatalogWebTests(Browser browser) : IClassFixture<Browser>
{
    public static TheoryData<int, int> Widths => new() { { 375, 812 }, { 1366, 900 } };

    [Theory]
    [MemberData(nameof(Widths))]
    public async Task Same_named_projects_of_two_clients_are_each_startable_from_the_sidebar_and_a_duplicate_is_refused_by_its_field(int width, int height) // R23
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var acme = await api.CreateClientAsync("Acme");
        var initech = await api.CreateClientAsync("Initech");
        var acmeBackend = await api.CreateProjectAsync(acme, "Backend API");
        var initechBackend = await api.CreateProjectAsync(initech, "Backend API");
        await page.SetViewportSizeAsync(width, height);

        // Each one starts from the sidebar's picker, grouped by client, and the session is on that very project.
        foreach (var (client, project, description) in new[] { ("Initech", initechBackend, "initech work"), ("Acme", acmeBackend, "acme work") })
        {
            await page.GotoAsync("/");
            await OpenSidebarAsync(page, width);
            await page.GetByRole(AriaRole.Button, new() { Name = "New session" }).ClickAsync();
            var form = page.GetByRole(AriaRole.Form, new() { Name = "New session" });
            var picker = form.GetByLabel("Project");
            var option = picker.Locator($"optgroup[label='{client}'] option", new() { HasText = "Backend API" });
            await picker.SelectOptionAsync((await option.GetAttributeAsync("value"))!);
            await form.GetByLabel("Description").FillAsync(description);
            if (width == 375 && client == "Initech")
            {
                await Screenshots.SaveAsync(page, "phone-picker");
            }

            await form.GetByRole(AriaRole.Button, new() { Name = "Start session" }).ClickAsync();
            await Expect(page.Locator("#session-rows li.session-row").Filter(new() { HasText = description })).ToHaveCountAsync(1);
            var started = (await api.GetAsync("/api/v1/sessions?status=open"))["sessions"].EnumerateArray()
                .Single(s => s.Str("description") == description);
            Assert.Equal(project, started.Str("project_id"));
        }

        // The picker then lists the projects just worked on first, named with their clients.
        var recent = page.Locator("#new-session-project optgroup[label='Recent'] option");
        await Expect(recent.First).ToHaveTextAsync("Backend API · Acme");
        await Expect(recent.Nth(1)).ToHaveTextAsync("Backend API · Initech");

        // R23: a second "backend api" for Acme is refused, and the refusal stands next to the Name field.
        await page.GotoAsync("/projects");
        var create = page.GetByRole(AriaRole.Form, new() { Name = "New project" });
        await create.GetByLabel("Client").SelectOptionAsync(new SelectOptionValue { Label = "Acme" });
        await create.GetByLabel("Name").FillAsync(" backend api ");
        await create.GetByRole(AriaRole.Button, new() { Name = "Add project" }).ClickAsync();
        var name = create.GetByRole(AriaRole.Textbox, new() { Name = "Name" });
        await Expect(name).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(name).ToHaveAccessibleDescriptionAsync(new Regex("already has an open project named"));
        await Expect(name).ToBeFocusedAsync();
        await Expect(create.Locator(".field-error")).ToBeInViewportAsync();
        await Screenshots.SaveAsync(page, width == 375 ? "phone-project-name-taken" : "project-name-taken");
        Assert.Equal(2, (await api.GetAsync("/api/v1/projects"))["projects"].GetArrayLength());
        Assert.DoesNotContain(errors, e => !e.Contains("409")); // the refused calls' 409s are logged by Chromium
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public async Task Clients_and_projects_are_edited_in_the_app_with_their_colours_and_a_refusal_shows_by_its_field(int width, int height)
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var acme = await api.CreateClientAsync("Acme", rate: 100m);
        await api.CreateProjectAsync(acme, "Website");
        await api.CreateProjectAsync(acme, "Mobile");
        await page.SetViewportSizeAsync(width, height);

        // New projects differ in colour, so their dots tell them apart.
        await page.GotoAsync("/projects");
        var dots = await page.Locator("#project-list .dot").EvaluateAllAsync<string[]>("ds => ds.map(d => getComputedStyle(d).backgroundColor)");
        Assert.Equal(2, dots.Distinct().Count());

        // A project: name, rates and colour.
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit Website" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Edit project" });
        await Expect(dialog.GetByLabel("Name")).ToHaveValueAsync("Website");
        await Expect(dialog.GetByLabel("Name")).ToBeFocusedAsync();
        await dialog.GetByLabel("Name").FillAsync("Website relaunch");
        await dialog.GetByLabel("Rate", new() { Exact = true }).FillAsync("150");
        await dialog.GetByLabel("Colour").FillAsync("#0d9488");
        await Screenshots.SaveAsync(page, width == 375 ? "phone-project-edit" : "project-edit");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        var row = page.GetByRole(AriaRole.Row, new() { Name = "Website relaunch" });
        await Expect(row).ToContainTextAsync("150.00 EUR/h");
        await Expect(row.Locator(".dot")).ToHaveCSSAsync("background-color", "rgb(13, 148, 136)");
        // Focus returns to the row's Edit button (replaced by the refresh, found again).
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Edit Website relaunch" })).ToBeFocusedAsync();

        // Emptying the rate gives the project the client's again.
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit Website relaunch" }).ClickAsync();
        // Reopened after a save, the dialog shows the project's own colour, not the default its form was reset to.
        await Expect(dialog.GetByLabel("Colour")).ToHaveValueAsync("#0d9488");
        await dialog.GetByLabel("Rate", new() { Exact = true }).FillAsync("");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(row).ToContainTextAsync("100.00 EUR/h (client's)");

        // A refusal is said next to its field and the dialog stays open: here, R23's.
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit Mobile" }).ClickAsync();
        await dialog.GetByLabel("Name").FillAsync("WEBSITE RELAUNCH");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(dialog.GetByLabel("Name")).ToHaveAccessibleDescriptionAsync(new Regex("already has an open project named"));
        await Expect(dialog).ToBeVisibleAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Edit Mobile" })).ToBeFocusedAsync();

        // A client: name, rate and colour.
        await page.GotoAsync("/clients");
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit Acme" }).ClickAsync();
        var clientDialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Edit client" });
        // A name of spaces passes the browser's own check; it is refused next to the field, not dropped in silence.
        await clientDialog.GetByLabel("Name").FillAsync("   ");
        await clientDialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(clientDialog.Locator(".field-error")).ToHaveTextAsync("Name cannot be blank.");
        await Expect(clientDialog.GetByLabel("Name")).ToBeFocusedAsync();
        await clientDialog.GetByLabel("Name").FillAsync("Acme Corporation");
        await clientDialog.GetByLabel("Hourly rate").FillAsync("110");
        await clientDialog.GetByLabel("Colour").FillAsync("#db2777");
        await clientDialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        var clientRow = page.GetByRole(AriaRole.Row, new() { Name = "Acme Corporation" });
        await Expect(clientRow).ToContainTextAsync("110.00 EUR/h");
        await Expect(clientRow.Locator(".dot")).ToHaveCSSAsync("background-color", "rgb(219, 39, 119)");
        var client = (await api.GetAsync("/api/v1/clients"))["clients"].EnumerateArray().Single();
        Assert.Equal("#db2777", client.Str("color"));
        // The refused calls' 409s are logged by Chromium. Nothing else is: a saved dialog's form is reset, and a colour
        // input with no default would then be set to "", which Chromium warns of (Browser counts that warning as an error).
        Assert.DoesNotContain(errors, e => !e.Contains("409"));
    }

    /// <summary>At phone width the sidebar is a drawer behind the Menu button.</summary>
    internal static async Task OpenSidebarAsync(IPage page, int width)
    {
        if (width < 800)
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Menu" }).ClickAsync();
            await page.WaitForTimeoutAsync(300); // the drawer slides in
        }
    }
}
