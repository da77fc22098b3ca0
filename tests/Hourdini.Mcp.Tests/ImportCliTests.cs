using Hourdini.Testing;

namespace Hourdini.Mcp.Tests;

/// <summary>R30 from the terminal: <c>hourdini import FILE --from toggl [--dry-run]</c> prints the summary and the failed lines.</summary>
public sealed class ImportCliTests(HourdiniServer server) : IClassFixture<HourdiniServer>, IDisposable
{
    private readonly string config = Directory.CreateTempSubdirectory("hourdini-cli-import-").FullName;

    [Fact]
    public async Task Import_shows_a_dry_run_then_imports_and_lists_the_failed_lines()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        Assert.Equal(0, (await Run("login", "--url", server.BaseAddress.ToString(), "--token", human.Token())).Exit);
        var file = Path.Combine(config, "toggl.csv");
        await File.WriteAllTextAsync(file,
            "Client,Project,Description,Billable,Start date,Start time,End date,End time,Duration,Tags\n"
            + "Café Ñandú,Menü,Typesetting,Yes,2026-10-01,09:00:00,2026-10-01,10:30:00,01:30:00,design\n"
            + "Café Ñandú,Menü,Broken,Yes,2026-10-01,9 o'clock,2026-10-01,10:30:00,01:30:00,\n");

        var dry = await Run("import", file, "--from", "toggl", "--dry-run", "--tz", "Europe/Berlin");
        Assert.True(dry.Exit == 0, dry.Err);
        Assert.Contains("Dry run: nothing was written. 2 rows: 1 would be created", dry.Out);
        Assert.Contains("bad_time", dry.Out);
        Assert.Empty(await human.AllEntriesAsync());

        var real = await Run("import", file, "--from", "toggl", "--tz", "Europe/Berlin");
        Assert.True(real.Exit == 0, real.Err);
        Assert.Contains("2 rows: 1 created, 0 already imported, 1 failed.", real.Out);
        Assert.Contains("Created 1 clients and 1 projects.", real.Out);
        Assert.Contains("3", real.Out); // the failed row's line
        Assert.Single(await human.AllEntriesAsync());

        var refused = await Run("import", file, "--from", "asana");
        Assert.NotEqual(0, refused.Exit);
    }

    private Task<(int Exit, string Out, string Err)> Run(params string[] args) => Cli.RunAsync(config, args);

    public void Dispose() => Directory.Delete(config, recursive: true);
}

internal static class EntryList
{
    public static async Task<List<System.Text.Json.JsonElement>> AllEntriesAsync(this ApiClient api) =>
        (await api.GetAsync("/api/v1/time-entries?limit=200")).Expect(System.Net.HttpStatusCode.OK)["time_entries"].EnumerateArray().ToList();
}
