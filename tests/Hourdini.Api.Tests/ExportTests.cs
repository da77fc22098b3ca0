using System.Diagnostics;
using System.Globalization;
using System.Net;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// R29: export gives every entry of a period as CSV or XLSX, one row per entry, with the split (R25) and amounts, times in
/// the caller's zone; the XLSX opens in OpenXml and in LibreOffice with the same values.
/// </summary>
public sealed class ExportTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    private const string Header =
        "date,start,end,duration_seconds,project,client,description,source,billable,active_seconds,agent_seconds,rate,currency,amount,session_id,tags";

    /// <summary>Three entries in a Berlin November (one just after its midnight, still October in UTC) and one in October.</summary>
    private static async Task<(ApiClient Api, string Project)> MonthAsync(HourdiniServer server)
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync("Café Ñandú", "EUR", 90m), "Menü, Website");
        async Task Log(string start, int seconds, string description, bool billable = true, string[]? tags = null) =>
            (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = start, duration_seconds = seconds, description, billable, tags }))
            .Expect(HttpStatusCode.Created);
        await Log("2026-11-02T08:00:00Z", 3600, "Zoë's \"kick-off\", notes", tags: ["design", "call"]);
        await Log("2026-11-03T13:30:00Z", 1850, "Wireframes", billable: false);
        await Log("2026-10-31T23:30:00Z", 1200, "Early fix"); // 00:30 on 1 November in Berlin
        await Log("2026-10-15T09:00:00Z", 600, "October");
        return (api, project);
    }

    [Fact]
    public async Task The_csv_has_the_header_one_row_per_entry_and_times_in_the_callers_zone() // R29
    {
        var (api, project) = await MonthAsync(server);

        var file = await api.ExportAsync("from=2026-11-01&to=2026-11-30&format=csv&tz=Europe/Berlin");

        Assert.Equal(HttpStatusCode.OK, file.Status);
        Assert.Equal("text/csv; charset=utf-8", file.Headers.ContentType!.ToString());
        Assert.Equal("attachment", file.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("hourdini-entries-2026-11-01-to-2026-11-30.csv", file.Headers.ContentDisposition.FileName!.Trim('"'));
        Assert.StartsWith(Header + ",", file.Text); // exactly the header first: no byte-order mark
        var rows = Files.Rows(file.Text);
        Assert.Equal(["2026-11-01", "2026-11-02", "2026-11-03"], rows.Select(r => r["date"]));
        Assert.Equal(("2026-11-01T00:30:00+01:00", "1200"), (rows[0]["start"], rows[0]["duration_seconds"]));
        var first = rows[1];
        Assert.Equal(("2026-11-02T09:00:00+01:00", "2026-11-02T10:00:00+01:00", "3600"), (first["start"], first["end"], first["duration_seconds"]));
        Assert.Equal(("Menü, Website", "Café Ñandú", "Zoë's \"kick-off\", notes"), (first["project"], first["client"], first["description"]));
        Assert.Equal(("manual", "true", "3600", "0", "0"), (first["source"], first["billable"], first["active_seconds"], first["agent_seconds"], first["idle_seconds"]));
        Assert.Equal(("90.00", "EUR", "90.00", "", "design, call"), (first["rate"], first["currency"], first["amount"], first["session_id"], first["tags"]));
        Assert.Equal(("false", "0.00"), (rows[2]["billable"], rows[2]["amount"]));

        // Each row is the entry the list shows.
        var listed = (await api.AllEntriesAsync($"&project_id={project}")).ToDictionary(e => e.Str("id"));
        Assert.All(rows, r => Assert.Equal(listed[r["id"]].Str("amount"), r["amount"]));

        // The same period in UTC: the early entry is October's.
        var utc = Files.Rows((await api.ExportAsync("from=2026-11-01&to=2026-11-30")).Text);
        Assert.Equal(["2026-11-02T08:00:00+00:00", "2026-11-03T13:30:00+00:00"], utc.Select(r => r["start"]));
    }

    [Theory]
    [InlineData("from=2026-11-01&to=2026-11-30&tz=Mars/Olympus_Mons", "unknown_time_zone")]
    [InlineData("from=2026-11-01&to=2026-11-30&tz=../../etc/passwd", "unknown_time_zone")]
    [InlineData("from=2026-11-30&to=2026-11-01", "validation_failed")]
    [InlineData("from=2024-01-01&to=2026-11-30", "validation_failed")]
    [InlineData("from=2026-11-01", "validation_failed")]
    [InlineData("from=1999-12-31&to=2000-01-31", "validation_failed")]
    [InlineData("from=2026-11-01&to=2026-11-30&format=pdf", "validation_failed")]
    [InlineData("from=yesterday&to=2026-11-30", "validation_failed")]
    public async Task A_bad_period_format_or_zone_is_refused(string query, string code) // R24, R29
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        (await api.GetAsync($"/api/v1/time-entries/export?{query}")).ExpectProblem(HttpStatusCode.UnprocessableEntity, code);
    }

    [Fact]
    public async Task The_xlsx_has_a_header_row_and_typed_cells() // R29
    {
        var (api, _) = await MonthAsync(server);

        var file = await api.ExportAsync("from=2026-11-01&to=2026-11-30&format=xlsx&tz=Europe/Berlin");

        Assert.Equal(HttpStatusCode.OK, file.Status);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", file.Headers.ContentType!.MediaType);
        Assert.EndsWith(".xlsx", file.Headers.ContentDisposition!.FileName!.Trim('"'));
        using var document = SpreadsheetDocument.Open(new MemoryStream(file.Bytes), false);
        var sheet = document.WorkbookPart!.WorksheetParts.Single().Worksheet;
        var rows = sheet.GetFirstChild<SheetData>()!.Elements<Row>().ToList();
        Assert.Equal(4, rows.Count);
        Assert.Equal(Header, string.Join(',', rows[0].Elements<Cell>().Take(16).Select(c => c.InnerText)));
        var cells = rows[2].Elements<Cell>().ToList();
        Assert.Equal(new DateTime(2026, 11, 2).ToOADate(), double.Parse(cells[0].CellValue!.Text, CultureInfo.InvariantCulture)); // a date
        Assert.Equal(new DateTime(2026, 11, 2, 9, 0, 0).ToOADate(), double.Parse(cells[1].CellValue!.Text, CultureInfo.InvariantCulture), 6);
        Assert.Equal((3600m, 90m), (decimal.Parse(cells[3].CellValue!.Text, CultureInfo.InvariantCulture), decimal.Parse(cells[11].CellValue!.Text, CultureInfo.InvariantCulture)));
        Assert.Null(cells[3].DataType?.Value is { } type && type == CellValues.InlineString ? "text" : null);
        Assert.Equal(CellValues.Boolean, cells[8].DataType!.Value);
        Assert.Equal("Café Ñandú", cells[5].InnerText);
        Assert.NotNull(sheet.GetFirstChild<Columns>()); // widths set
    }

    [Fact]
    public async Task LibreOffice_opens_the_xlsx_with_the_values_of_the_csv_and_the_api() // R29
    {
        var (api, _) = await MonthAsync(server);
        var xlsx = await api.ExportAsync("from=2026-11-01&to=2026-11-30&format=xlsx&tz=Europe/Berlin");
        var csv = Files.Rows((await api.ExportAsync("from=2026-11-01&to=2026-11-30&format=csv&tz=Europe/Berlin")).Text);

        var converted = Files.Rows(await LibreOfficeCsvAsync(xlsx.Bytes));

        Assert.Equal(csv.Count, converted.Count);
        for (var i = 0; i < csv.Count; i++)
        {
            var (want, got) = (csv[i], converted[i]);
            Assert.Equal(want["date"], got["date"]);
            Assert.Equal(DateTimeOffset.Parse(want["start"], CultureInfo.InvariantCulture).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), got["start"]);
            foreach (var column in new[] { "duration_seconds", "project", "client", "description", "source", "active_seconds", "agent_seconds", "currency", "tags", "id" })
            {
                Assert.Equal(want[column], got[column]);
            }

            Assert.Equal(decimal.Parse(want["amount"], CultureInfo.InvariantCulture), decimal.Parse(got["amount"], CultureInfo.InvariantCulture));
            Assert.Equal(bool.Parse(want["billable"]), bool.Parse(got["billable"]));
        }
    }

    [Fact]
    public async Task An_agent_token_is_refused_and_a_viewer_exports_only_the_clients_granted_to_them() // R22, R29
    {
        var (owner, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var granted = await owner.CreateClientAsync("Granted", "EUR", 50m);
        var other = await owner.CreateClientAsync("Other", "EUR", 50m);
        foreach (var client in new[] { granted, other })
        {
            var project = await owner.CreateProjectAsync(client, $"Work for {client[..4]}");
            (await owner.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-11-02T08:00:00Z", duration_seconds = 600 }))
                .Expect(HttpStatusCode.Created);
        }

        var (_, agent) = await owner.CreateAgentAsync();
        (await agent.GetAsync("/api/v1/time-entries/export?from=2026-11-01&to=2026-11-30")).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");

        var (viewer, viewerId, _) = await owner.AddPersonAsync("viewer");
        Assert.Empty(Files.Rows((await viewer.ExportAsync("from=2026-11-01&to=2026-11-30")).Text));
        (await owner.SendAsync(HttpMethod.Put, $"/api/v1/clients/{granted}/viewers/{viewerId}")).Expect(HttpStatusCode.OK);
        Assert.Equal(["Granted"], Files.Rows((await viewer.ExportAsync("from=2026-11-01&to=2026-11-30")).Text).Select(r => r["client"]));
        Assert.Equal(2, Files.Rows((await owner.ExportAsync("from=2026-11-01&to=2026-11-30")).Text).Count);
    }

    /// <summary>Converts an XLSX to CSV with LibreOffice (deploy/test.sh installs it), in a profile of its own.</summary>
    private static async Task<string> LibreOfficeCsvAsync(byte[] xlsx)
    {
        var work = Directory.CreateTempSubdirectory("hourdini-lo-");
        try
        {
            var input = Path.Combine(work.FullName, "export.xlsx");
            await File.WriteAllBytesAsync(input, xlsx);
            var start = new ProcessStartInfo("libreoffice")
            {
                // 44 = comma, 34 = double quote, 76 = UTF-8; the cells as they are shown (formatted).
                ArgumentList =
                {
                    $"-env:UserInstallation=file://{work.FullName}/profile", "--headless", "--norestore",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true", "--outdir", work.FullName, input,
                },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)
                ?? throw new InvalidOperationException("libreoffice did not start; deploy/test.sh installs it (hd_ensure_libreoffice).");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await process.WaitForExitAsync(timeout.Token);
            var result = Path.Combine(work.FullName, "export.csv");
            Assert.True(File.Exists(result), $"LibreOffice wrote no CSV (exit {process.ExitCode}): {await output} {await error}");
            return await File.ReadAllTextAsync(result);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
