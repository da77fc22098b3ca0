using System.Net;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Hourdini.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>R30 and R29 in the web app: a file previewed as a dry run (nothing written), then imported; an export downloaded.</summary>
public sealed class ImportExportTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task A_file_is_previewed_then_imported_and_an_export_downloads()
    {
        var (page, errors) = await browser.NewPageAsync(timezone: "America/New_York");
        await Browser.SignUpAsync(page);
        using var api = ApiClient.WithToken(browser.Server.BaseAddress, await Browser.MintTokenAsync(page, "check"));

        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Import & export" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Import & export" })).ToBeVisibleAsync();
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Import a file" });
        await form.GetByLabel("CSV file", new() { Exact = true }).SetInputFilesAsync(Path.Combine(AppContext.BaseDirectory, "Samples", "clockify.csv"));
        await form.GetByLabel("Exported from").SelectOptionAsync("clockify");
        await Expect(form.GetByLabel("Time zone of the file")).ToHaveValueAsync("America/New_York");
        await form.GetByRole(AriaRole.Button, new() { Name = "Preview import" }).ClickAsync();

        // The dry run: counts and the rows that will be skipped, by line; nothing written yet.
        var preview = page.Locator("#import-preview");
        await Expect(preview.GetByRole(AriaRole.Heading, new() { Name = "Preview: nothing has been written yet" })).ToBeVisibleAsync();
        await Expect(preview.Locator("[data-count=rows]")).ToHaveTextAsync("290");
        await Expect(preview.Locator("[data-count=created]")).ToHaveTextAsync("288");
        await Expect(preview.Locator("[data-count=clients_created]")).ToHaveTextAsync("4");
        var failed = preview.Locator(".import-failed tbody tr");
        await Expect(failed).ToHaveCountAsync(2);
        await Expect(failed.Nth(0)).ToContainTextAsync("13");
        await Expect(failed.Nth(0)).ToContainTextAsync("bad time");
        await Expect(failed.Nth(1)).ToContainTextAsync("204");
        Assert.Empty((await api.GetAsync("/api/v1/time-entries")).Expect(HttpStatusCode.OK)["time_entries"].EnumerateArray());
        await Screenshots.SaveAsync(page, "import-preview");
        await page.SetViewportSizeAsync(375, 812);
        await preview.ScrollIntoViewIfNeededAsync();
        await Screenshots.SaveAsync(page, "import-preview-375");

        await preview.GetByRole(AriaRole.Button, new() { Name = "Import 288 entries" }).ClickAsync();
        await Expect(preview.GetByRole(AriaRole.Heading, new() { Name = "Imported" })).ToBeVisibleAsync();
        await Expect(preview.Locator("[data-count=created]")).ToHaveTextAsync("288");
        await Expect(preview.GetByRole(AriaRole.Link, new() { Name = "See the entries" })).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "import-done-375");
        var summary = (await api.GetAsync("/api/v1/time-entries/summary")).Expect(HttpStatusCode.OK);
        Assert.Equal(288, summary["groups"].EnumerateArray().Sum(g => g.GetProperty("entries").GetInt32()));

        // The export: September to November as a workbook.
        await page.SetViewportSizeAsync(1360, 900);
        var export = page.GetByRole(AriaRole.Form, new() { Name = "Export entries" });
        await export.GetByLabel("From").FillAsync("2026-09-01");
        await export.GetByLabel("To").FillAsync("2026-11-30");
        await export.GetByLabel("Format").SelectOptionAsync("xlsx");
        await Screenshots.SaveAsync(page, "export");
        var download = await page.RunAndWaitForDownloadAsync(() => export.GetByRole(AriaRole.Button, new() { Name = "Download" }).ClickAsync());
        Assert.Equal("hourdini-entries-2026-09-01-to-2026-11-30.xlsx", download.SuggestedFilename);
        var path = Path.Combine(Path.GetTempPath(), $"hourdini-web-{Guid.NewGuid():N}.xlsx");
        await download.SaveAsAsync(path);
        try
        {
            using var workbook = SpreadsheetDocument.Open(path, false);
            var rows = workbook.WorkbookPart!.WorksheetParts.Single().Worksheet.GetFirstChild<SheetData>()!.Elements<Row>().Count();
            Assert.Equal(289, rows); // the header and every entry
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Empty(errors);
    }
}
