using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// R31 on the web: the Invoices page drafts an invoice from a client and a period, previews its lines and totals,
/// issues it (it gets its number), downloads its PDF and voids it; at desktop width and on a 375 px phone.
/// </summary>
public sealed class InvoicesPageTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task An_invoice_is_drafted_previewed_issued_downloaded_and_voided()
    {
        var (page, errors) = await browser.NewPageAsync();
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "setup"));
        var client = await api.CreateClientAsync("Initech", "EUR", 90m);
        var reports = await api.CreateProjectAsync(client, "TPS reports");
        var printer = await api.CreateProjectAsync(client, "Printer maintenance", rate: 120m);
        foreach (var (project, start, seconds) in new[] { (reports, "2026-11-03T09:00:00Z", 5400), (reports, "2026-11-04T09:00:00Z", 1800), (printer, "2026-11-05T13:00:00Z", 2700) })
        {
            (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = start, duration_seconds = seconds, description = "work" }))
                .Expect(System.Net.HttpStatusCode.Created);
        }

        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Invoices" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Invoices" })).ToBeVisibleAsync();
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Draft an invoice" });
        await form.GetByLabel("Client").SelectOptionAsync(new SelectOptionValue { Label = "Initech (EUR)" });
        await form.GetByLabel("From").FillAsync("2026-11-01");
        await form.GetByLabel("To").FillAsync("2026-11-30");
        await form.GetByLabel("Tax %").FillAsync("20");
        await form.GetByRole(AriaRole.Button, new() { Name = "Draft invoice" }).ClickAsync();

        // The preview: a line per project, totals with the tax.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Initech Draft" })).ToBeVisibleAsync();
        var lines = page.Locator("table.invoice-lines tbody tr");
        await Expect(lines).ToHaveCountAsync(2);
        await Expect(lines.Filter(new() { HasText = "TPS reports" })).ToContainTextAsync("2:00:00");
        await Expect(lines.Filter(new() { HasText = "TPS reports" })).ToContainTextAsync("180.00 EUR");
        await Expect(lines.Filter(new() { HasText = "Printer maintenance" })).ToContainTextAsync("90.00 EUR");
        await Expect(page.Locator(".invoice-totals [data-total]")).ToHaveTextAsync("324.00 EUR"); // 270.00 + 20 %
        await Screenshots.SaveAsync(page, "invoice-draft");

        await page.GetByRole(AriaRole.Button, new() { Name = "Issue" }).ClickAsync();
        var number = $"INV-{DateTime.UtcNow.Year}-0001";
        await Expect(page.Locator("#invoice-detail")).ToHaveAttributeAsync("data-status", "issued");
        await Expect(page.Locator(".sub").First).ToContainTextAsync(number);
        await Screenshots.SaveAsync(page, "invoice-issued");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download PDF" }).ClickAsync());
        Assert.Equal($"{number}.pdf", download.SuggestedFilename);
        var path = await download.PathAsync();
        Assert.StartsWith("%PDF-", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(path!).AsSpan(0, 5)));

        await page.SetViewportSizeAsync(375, 812);
        await Screenshots.SaveAsync(page, "invoice-issued-phone");
        await page.GotoAsync("/invoices");
        await Expect(page.Locator("#invoice-list")).ToContainTextAsync(number);
        await Screenshots.SaveAsync(page, "invoices-phone");
        await page.SetViewportSizeAsync(1360, 900);
        await Screenshots.SaveAsync(page, "invoices");

        await page.GetByRole(AriaRole.Link, new() { Name = number }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Void" }).ClickAsync();
        await Expect(page.Locator("#invoice-detail")).ToHaveAttributeAsync("data-status", "void");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Download PDF" })).ToBeVisibleAsync();
        Assert.Empty(errors);
    }
}
