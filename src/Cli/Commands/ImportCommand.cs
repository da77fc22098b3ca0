using System.CommandLine;
using System.Text.Json;

namespace Hourdini.Cli.Commands;

/// <summary><c>hourdini import FILE --from toggl|clockify|harvest [--dry-run] [--tz ZONE]</c>: a detailed CSV export of another tracker (R30).</summary>
public static class ImportCommand
{
    public static Command Create(CommonOptions common)
    {
        var file = new Argument<FileInfo>("file") { Description = "The detailed CSV export to import." };
        var from = new Option<string>("--from") { Description = "The tool that wrote it: toggl, clockify or harvest.", Required = true };
        from.AcceptOnlyFromAmong("toggl", "clockify", "harvest");
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be imported and write nothing." };
        var tz = new Option<string?>("--tz") { Description = "The IANA time zone of the file's wall-clock times (default: this computer's)." };
        var command = new Command("import", "Import a Toggl Track, Clockify or Harvest detailed CSV export.") { file, from, dryRun, tz };
        common.Action(command, async (parse, api, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                throw new CliException($"No file at {path.FullName}.", "file_not_found");
            }

            string csv;
            try
            {
                csv = await File.ReadAllTextAsync(path.FullName, ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw CliException.LocalFile(e, path.FullName, "read");
            }
            return await api.PostCsvAsync("imports" + CommonOptions.Query(
                ("source", parse.GetValue(from)),
                ("dry_run", parse.GetValue(dryRun) ? "true" : "false"),
                ("tz", parse.GetValue(tz) ?? LocalZone())), csv, ct);
        }, body => Show(body.GetProperty("import")));
        return command;
    }

    private static void Show(JsonElement import)
    {
        int Count(string name) => import.GetProperty(name).GetInt32();
        var dry = import.GetProperty("dry_run").GetBoolean();
        Output.Line(dry
            ? $"Dry run: nothing was written. {Count("rows")} rows: {Count("created")} would be created, {Count("duplicates")} already imported, {import.GetProperty("failed").GetArrayLength()} failed."
            : $"{Count("rows")} rows: {Count("created")} created, {Count("duplicates")} already imported, {import.GetProperty("failed").GetArrayLength()} failed.");
        Output.Line($"{(dry ? "Would create" : "Created")} {Count("clients_created")} clients and {Count("projects_created")} projects.");
        var failed = import.GetProperty("failed").EnumerateArray().ToList();
        if (failed.Count > 0)
        {
            Output.Table([new("Line", Right: true), "Code", new("Problem", Flex: true)], failed.Select(f => new[] { f.GetProperty("line").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), Output.Str(f, "code"), Output.Str(f, "detail") }));
        }
    }

    /// <summary>This computer's zone as an IANA name, or none (the server's UTC) when it has no such name.</summary>
    private static string? LocalZone() =>
        TimeZoneInfo.Local.HasIanaId ? TimeZoneInfo.Local.Id
        : TimeZoneInfo.TryConvertWindowsIdToIanaId(TimeZoneInfo.Local.Id, out var iana) ? iana : null;
}
