using CsvHelper;

namespace Hourdini.Gateway.Exports;

/// <summary>
/// R29 as CSV: RFC 4180, comma-separated, UTF-8 without a byte-order mark (so the first line is exactly the header), LF
/// line ends, written to the response as rows arrive. Text is written as it is (no formula escaping, which would change
/// descriptions that start with "-" or "="): the XLSX is the file for spreadsheets.
/// </summary>
public static class CsvExport
{
    public const string ContentType = "text/csv; charset=utf-8";

    public static async Task WriteAsync(Stream output, IAsyncEnumerable<ExportRow> rows, CancellationToken ct)
    {
        await using var csv = CsvWriter.Create(output, new CsvWriterOptions { NewLine = "\n", Injection = CsvInjection.None }, leaveOpen: true);
        foreach (var column in ExportColumns.All)
        {
            csv.WriteField(column.Name);
        }

        await csv.EndRecordAsync(ct);
        await foreach (var row in rows.WithCancellation(ct))
        {
            foreach (var column in ExportColumns.All)
            {
                csv.WriteField(ExportColumns.Text(column.Value(row)));
            }

            await csv.EndRecordAsync(ct);
        }

        await csv.FlushAsync(ct);
    }
}
