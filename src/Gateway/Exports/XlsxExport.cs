using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Spreadsheet;
using System.IO.Compression;
using System.Text;

namespace Hourdini.Gateway.Exports;

/// <summary>
/// R29 as an XLSX workbook with one sheet: a bold, frozen header row with a filter, then one row per entry with typed
/// cells: seconds as whole numbers, rates and amounts as numbers shown with two decimals, billable as a boolean, the day
/// as a date and start and end as date-times in the caller's zone (spreadsheets have no zones: the wall-clock time).
/// Text is written inline, never as a formula. The sheet is written element by element (SAX) straight into the zip, so
/// memory stays flat however many rows there are.
/// </summary>
public static class XlsxExport
{
    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    // Cell formats (cellXfs): 0 general, 1 day, 2 date-time, 3 money, 4 header.
    private const uint DayStyle = 1, TimeStyle = 2, MoneyStyle = 3, HeaderStyle = 4;

    public static async Task WriteAsync(Stream output, IAsyncEnumerable<ExportRow> rows, CancellationToken ct)
    {
        // System.IO.Packaging keeps every part of a package it can read back in memory until it is closed, and refuses to
        // write a package it cannot read back; so the parts are made by OpenXml and zipped as they are written.
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        Part(zip, "[Content_Types].xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>
            """);
        Part(zip, "_rels/.rels", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>
            """);
        Part(zip, "xl/_rels/workbook.xml.rels", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>
            """);
        Part(zip, "xl/workbook.xml", new Workbook(new Sheets(new Sheet { Id = "rId1", SheetId = 1, Name = "Time entries" })).OuterXml);
        Part(zip, "xl/styles.xml", Stylesheet().OuterXml);

        var columns = ExportColumns.All;
        var count = 0;
        await using (var part = zip.CreateEntry("xl/worksheets/sheet1.xml", CompressionLevel.Fastest).Open())
        using (var writer = OpenXmlWriter.Create(part))
        {
            writer.WriteStartDocument(true);
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
    }

    private static void Part(ZipArchive zip, string name, string xml)
    {
        using var part = new StreamWriter(zip.CreateEntry(name, CompressionLevel.Fastest).Open(), new UTF8Encoding(false));
        part.Write(xml.StartsWith("<?xml", StringComparison.Ordinal) ? xml : "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>" + xml);
    }

    private static Cell Cell(CellKind kind, object? value) => (kind, value) switch
    {
        (_, null) => new Cell(),
        (CellKind.Integer, long number) => new Cell { CellValue = new CellValue((decimal)number), DataType = CellValues.Number },
        (CellKind.Money, decimal money) => new Cell { CellValue = new CellValue(money), DataType = CellValues.Number, StyleIndex = MoneyStyle },
        (CellKind.Boolean, bool flag) => new Cell { CellValue = new CellValue(flag ? "1" : "0"), DataType = CellValues.Boolean },
        (CellKind.Day, DateOnly day) => new Cell
        {
            CellValue = new CellValue(day.ToDateTime(TimeOnly.MinValue).ToOADate()),
            DataType = CellValues.Number,
            StyleIndex = DayStyle,
        },
        (CellKind.Time, DateTimeOffset at) => new Cell
        {
            CellValue = new CellValue(at.DateTime.ToOADate()),
            DataType = CellValues.Number,
            StyleIndex = TimeStyle,
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
