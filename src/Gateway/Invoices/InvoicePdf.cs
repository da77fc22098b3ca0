using System.Globalization;
using Hourdini.Grains.Invoices;
using PdfSharp.Drawing;
using PdfSharp.Pdf;

namespace Hourdini.Gateway.Invoices;

/// <summary>
/// R31: an issued (or voided) invoice as a one-or-more-page A4 PDF: the org's and client's names, the number, issue date
/// and period, a line per project, kind and rate with its hours (h:mm:ss, exact to the second) and rate, the subtotal,
/// tax and total in the invoice's currency, and the total hours, which are its entries' billed seconds added up.
/// </summary>
public static class InvoicePdf
{
    public const string ContentType = "application/pdf";

    private const double Left = 50, Right = 545, Bottom = 780;
    private static readonly double[] Columns = [Left, 250, 340, 420, Right]; // project | kind | hours | rate | amount (right-aligned ends)

    public static byte[] Render(Invoice invoice)
    {
        InvoiceFonts.Install();
        var regular = new XFont(InvoiceFonts.Family, 9.5, XFontStyleEx.Regular);
        var bold = new XFont(InvoiceFonts.Family, 9.5, XFontStyleEx.Bold);
        var title = new XFont(InvoiceFonts.Family, 20, XFontStyleEx.Bold);
        var muted = XBrushes.DimGray;

        using var document = new PdfDocument();
        document.Info.Title = $"Invoice {invoice.Number}";
        document.Info.Author = invoice.OrgName;
        document.Info.Creator = "Hourdini";
        document.Info.CreationDate = (invoice.IssuedAt ?? invoice.CreatedAt).UtcDateTime;

        var page = document.AddPage();
        page.Size = PdfSharp.PageSize.A4;
        var gfx = XGraphics.FromPdfPage(page);
        double y = 60;

        gfx.DrawString(invoice.OrgName, bold, XBrushes.Black, Left, y);
        gfx.DrawString("INVOICE", title, XBrushes.Black, new XRect(Left, y - 20, Right - Left, 24), XStringFormats.TopRight);
        y += 40;
        var issued = invoice.IssuedAt is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "(draft)";
        foreach (var (label, value) in new[]
        {
            ("Number", invoice.Number ?? "(draft)"),
            ("Issue date", issued),
            ("Period", $"{Date(invoice.PeriodFrom)} to {Date(invoice.PeriodTo)}"),
            ("Bill to", invoice.ClientName),
            ("Currency", invoice.Currency),
        })
        {
            gfx.DrawString(label, regular, muted, Left, y);
            gfx.DrawString(value, bold, XBrushes.Black, Left + 80, y);
            y += 15;
        }

        if (invoice.Status == InvoiceStatus.Void)
        {
            gfx.DrawString("VOID", title, XBrushes.DarkRed, new XRect(Left, y - 60, Right - Left, 24), XStringFormats.TopRight);
        }

        y += 20;
        void Header()
        {
            Row(gfx, bold, XBrushes.Black, y, "Project", "Kind", "Hours", "Rate", "Amount");
            y += 6;
            gfx.DrawLine(XPens.Black, Left, y, Right, y);
            y += 14;
        }

        Header();
        foreach (var line in invoice.Totals.Lines)
        {
            if (y > Bottom)
            {
                page = document.AddPage();
                page.Size = PdfSharp.PageSize.A4;
                gfx.Dispose();
                gfx = XGraphics.FromPdfPage(page);
                y = 60;
                Header();
            }

            Row(gfx, regular, XBrushes.Black, y, Clip(gfx, regular, line.ProjectName, Columns[1] - Left - 10),
                line.Kind == InvoiceKind.AgentRun ? "Agent run" : "Hands-on", Hours(line.Seconds),
                $"{Money(line.RateCents)}/h", Money(line.AmountCents));
            y += 15;
        }

        if (y > Bottom - 90)
        {
            page = document.AddPage();
            page.Size = PdfSharp.PageSize.A4;
            gfx.Dispose();
            gfx = XGraphics.FromPdfPage(page);
            y = 60;
        }

        gfx.DrawLine(XPens.Black, Left, y - 9, Right, y - 9);
        y += 6;
        Total(gfx, regular, y, "Total hours", Hours(invoice.Seconds));
        y += 15;
        Total(gfx, regular, y, "Subtotal", Money(invoice.Totals.SubtotalCents));
        y += 15;
        var tax = invoice.TaxPercent is { } percent ? $"Tax ({percent.ToString("0.##", CultureInfo.InvariantCulture)} %)" : "Tax";
        Total(gfx, regular, y, tax, Money(invoice.Totals.TaxCents));
        y += 18;
        Total(gfx, bold, y, $"Total {invoice.Currency}", Money(invoice.Totals.TotalCents));
        y += 30;

        if (invoice.Notes is { Length: > 0 } notes)
        {
            foreach (var text in notes.Split('\n').Take(20))
            {
                gfx.DrawString(Clip(gfx, regular, text.TrimEnd(), Right - Left), regular, muted, Left, y);
                y += 13;
            }
        }

        gfx.DrawString($"Hours are h:mm:ss. {invoice.Currency}, never converted.", regular, muted, Left, 810);
        gfx.Dispose();
        using var output = new MemoryStream();
        document.Save(output, closeStream: false);
        return output.ToArray();
    }

    private static void Row(XGraphics gfx, XFont font, XBrush brush, double y, string project, string kind, string hours, string rate, string amount)
    {
        gfx.DrawString(project, font, brush, Columns[0], y);
        gfx.DrawString(kind, font, brush, Columns[1], y);
        AlignRight(gfx, font, brush, y, Columns[2] + 30, hours);
        AlignRight(gfx, font, brush, y, Columns[3] + 40, rate);
        AlignRight(gfx, font, brush, y, Columns[4], amount);
    }

    private static void Total(XGraphics gfx, XFont font, double y, string label, string value)
    {
        AlignRight(gfx, font, XBrushes.Black, y, Columns[3] + 40, label);
        AlignRight(gfx, font, XBrushes.Black, y, Columns[4], value);
    }

    private static void AlignRight(XGraphics gfx, XFont font, XBrush brush, double y, double right, string text) =>
        gfx.DrawString(text, font, brush, right - gfx.MeasureString(text, font).Width, y);

    private static string Clip(XGraphics gfx, XFont font, string text, double width)
    {
        if (gfx.MeasureString(text, font).Width <= width)
        {
            return text;
        }

        while (text.Length > 1 && gfx.MeasureString(text + "…", font).Width > width)
        {
            text = text[..^1];
        }

        return text + "…";
    }

    /// <summary>Hours as h:mm:ss: exact to the second, so the lines add up to the entries.</summary>
    public static string Hours(long seconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}:{seconds % 3600 / 60:00}:{seconds % 60:00}");

    private static string Money(long cents) => InvoiceLines.Money(cents).ToString("#,##0.00", CultureInfo.InvariantCulture);

    private static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
