using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Exports;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Common;
using Hourdini.Silo.Storage.Entries;

namespace Hourdini.Gateway.Api;

/// <summary>
/// R29: <c>GET /time-entries/export</c>, every entry that started in a period as CSV or XLSX, one row per entry, times in
/// the caller's zone. People only (an agent token is refused, R22); whose entries as in the list.
/// </summary>
public static class ExportsApi
{
    /// <summary>A year and a day, so "last year" in any zone fits; a longer period is exported in parts.</summary>
    public const int MaxDays = 367;

    public static void MapExports(this RouteGroupBuilder api)
    {
        api.MapGet("/time-entries/export", ExportAsync).RequireAuthorization().WithTags("Time entries")
            .ReturnsFile("exportTimeEntries", "Export a period's entries as CSV or XLSX", CsvExport.ContentType, XlsxExport.ContentType);
    }

    private static async Task ExportAsync(string? from, string? to, string? format, string? tz, HttpContext context, EntryExport export)
    {
        var caller = context.Caller();
        var zone = Zones.Parse(tz);
        var start = Zones.Bound(from, "from", zone, isEnd: false);
        var end = Zones.Bound(to, "to", zone, isEnd: true);
        if (end <= start || end - start > TimeSpan.FromDays(MaxDays))
        {
            throw Refusal.Invalid($"from must come before to, and a period spans at most {MaxDays} days.");
        }

        var kind = (format ?? "csv").ToLowerInvariant() switch
        {
            "csv" => "csv",
            "xlsx" => "xlsx",
            _ => throw Refusal.Invalid("format must be csv or xlsx."),
        };

        var ct = context.RequestAborted;
        var rows = Rows(export.ReadAsync(caller.OrgId, caller.UserId, caller.ViewerScope(), start, end, ct), zone);
        var name = $"hourdini-entries-{Local(start, zone):yyyy-MM-dd}-to-{Local(end.AddTicks(-1), zone):yyyy-MM-dd}.{kind}";
        var response = context.Response;
        response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
        response.Headers.CacheControl = "no-store";
        if (kind == "csv")
        {
            response.ContentType = CsvExport.ContentType;
            await CsvExport.WriteAsync(response.Body, rows, ct);
            return;
        }

        // The workbook is a zip written synchronously: it goes to a temporary file first (which vanishes when closed), and
        // from there to the client, so neither the request's thread nor its memory holds a year of entries.
        await using var file = new FileStream(
            Path.Combine(Path.GetTempPath(), $"hourdini-export-{Guid.NewGuid():N}.xlsx"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await XlsxExport.WriteAsync(file, rows, ct);
        response.ContentType = XlsxExport.ContentType;
        response.ContentLength = file.Length;
        file.Position = 0;
        await file.CopyToAsync(response.Body, ct);
    }

    private static async IAsyncEnumerable<ExportRow> Rows(IAsyncEnumerable<ExportedEntry> entries, TimeZoneInfo zone)
    {
        await foreach (var entry in entries)
        {
            yield return new ExportRow(entry, Local(entry.Entry.StartedAt, zone), Local(entry.Entry.EndedAt, zone));
        }
    }

    /// <summary>An instant in the zone, to the whole second (entries are kept to the millisecond).</summary>
    private static DateTimeOffset Local(DateTimeOffset at, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(at, zone);
        return local.AddTicks(-(local.Ticks % TimeSpan.TicksPerSecond));
    }
}
