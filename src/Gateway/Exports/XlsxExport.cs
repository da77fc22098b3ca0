using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using System.IO.Packaging;

namespace Hourdini.Gateway.Exports;

/// <summary>
/// R29 as an XLSX workbook with one sheet: a bold, frozen header row with a filter, then one row per entry with typed
/// cells: seconds as whole numbers, rates and amounts as numbers shown with two decimals, billable as a boolean, the day
/// as a date and start and end as date-times in the caller's zone (spreadsheets have no zones: the wall-clock time).
/// Text is written inline, never as a formula. The sheet is written element by element (SAX) into a write-only
/// package, so memory stays flat however many rows there are.
/// </summary>
public static class XlsxExport
{
    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    // Cell formats (cellXfs): 0 general, 1 day, 2 date-time, 3 money, 4 header.
    private const uint DayStyle = 1, TimeStyle = 2, MoneyStyle = 3, HeaderStyle = 4;

    public static async Task WriteAsync(Stream output, IAsyncEnumerable<ExportRow> rows, CancellationToken ct)
    {
        using var package = Package.Open(output, FileMode.Create, FileAccess.Write);
        using var document = SpreadsheetDocument.Create(package, SpreadsheetDocumentType.Workbook);
        var workbook = document.AddWorkbookPart();
        var styles = workbook.AddNewPart<WorkbookStylesPart>();
        styles.Stylesheet = Stylesheet();
        styles.Stylesheet.Save();
        var sheet = workbook.AddNewPart<WorksheetPart>();
        var columns = ExportColumns.All;
        var count = 0;
        using (var writer = OpenXmlWriter.Create(sheet))
        {
            writer.WriteStartElement(new Worksheet());
            writer.WriteElement(new SheetViews(new SheetView(
                new Pane { VerticalSplit = 1, TopLeftCell = "A2", ActivePane = PaneValues.BottomLeft, State = PaneStateValues.Frozen })
            { WorkbookViewId = 0 }));
            writer.WriteStartElement(new Columns());
            for (var i = 0; i < columns.Count; i++)
            {
                writer.WriteElement(new Column { Min = (uint)i + 1, Max = (uint)i + 1, Width = columns[i].Width, CustomWidth = true });
            }

            writer.WriteEndElement();
            writer.WriteStartElement(new SheetData());
            writer.WriteStartElement(new Row { RowIndex = 1 });
            foreach (var column in columns)
            {
                writer.WriteElement(TextCell(column.Name, HeaderStyle));
            }

            writer.WriteEndElement();
            await foreach (var row in rows.WithCancellation(ct))
            {
                count++;
                writer.WriteStartElement(new Row { RowIndex = (uint)count + 1 });
                foreach (var column in columns)
                {
                    writer.WriteElement(Cell(column.Kind, column.Value(row)));
                }

                writer.WriteEndElement();
            }

            writer.WriteEndElement(); // sheetData
            writer.WriteElement(new AutoFilter { Reference = $"A1:{ColumnName(columns.Count)}{count + 1}" });
            writer.WriteEndElement(); // worksheet
        }

        workbook.Workbook = new Workbook(new Sheets(new Sheet { Id = workbook.GetIdOfPart(sheet), SheetId = 1, Name = "Time entries" }));
        workbook.Workbook.Save();
    }

    private static Cell Cell(CellKind kind, object? value) => (kind, value) switch
    {
        (_, null) => new Cell(),
        (CellKind.Integer, long number) => new Cell { CellValue = new CellValue((decimal)number), DataType = CellValues.Number },
        (CellKind.Money, decimal money) => new Cell { CellValue = new CellValue(money), DataType = CellValues.Number, StyleIndex = MoneyStyle },
        (CellKind.Boolean, bool flag) => new Cell { CellValue = new CellValue(flag), DataType = CellValues.Boolean },
        (CellKind.Day, DateOnly day) => new Cell
        {
            CellValue = new CellValue(day.ToDateTime(TimeOnly.MinValue).ToOADate()), DataType = CellValues.Number, StyleIndex = DayStyle,
        },
        (CellKind.Time, DateTimeOffset at) => new Cell
        {
            CellValue = new CellValue(Math.Round(at.DateTime.ToOADate(), 8)), DataType = CellValues.Number, StyleIndex = TimeStyle,
        },
        _ => TextCell(ExportColumns.Text(value), 0),
    };

    private static Cell TextCell(string text, uint style) =>
        new(new InlineString(new Text(text) { Space = SpaceProcessingModeValues.Preserve })) { DataType = CellValues.InlineString, StyleIndex = style };

    private static string ColumnName(int number)
    {
        var name = "";
        for (; number > 0; number = (number - 1) / 26)
        {
            name = (char)('A' + ((number - 1) % 26)) + name;
        }

        return name;
    }

    private static Stylesheet Stylesheet() => new(
        new NumberingFormats(
            new NumberingFormat { NumberFormatId = 164, FormatCode = "yyyy-mm-dd" },
            new NumberingFormat { NumberFormatId = 165, FormatCode = "yyyy-mm-dd hh:mm:ss" })
        { Count = 2 },
        new Fonts(new Font(), new Font(new Bold())) { Count = 2 },
        new Fills(new Fill(new PatternFill { PatternType = PatternValues.None }), new Fill(new PatternFill { PatternType = PatternValues.Gray125 })) { Count = 2 },
        new Borders(new Border()) { Count = 1 },
        new CellFormats(
            new CellFormat(),
            new CellFormat { NumberFormatId = 164, ApplyNumberFormat = true },
            new CellFormat { NumberFormatId = 165, ApplyNumberFormat = true },
            new CellFormat { NumberFormatId = 2, ApplyNumberFormat = true },
            new CellFormat { FontId = 1, ApplyFont = true })
        { Count = 5 });
}
