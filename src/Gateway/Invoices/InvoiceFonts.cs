using PdfSharp.Fonts;

namespace Hourdini.Gateway.Invoices;

/// <summary>
/// PDFsharp's core build finds no fonts of its own on Linux (it reads Windows' font folder only), so it is given DejaVu
/// Sans, regular and bold, embedded in this assembly: a PDF renders the same on any machine, with no font package
/// installed. Every family asked for resolves to it.
/// </summary>
public sealed class InvoiceFonts : IFontResolver
{
    public const string Family = "DejaVu Sans";

    private static readonly Lock Gate = new();

    /// <summary>Installs the resolver once per process (PDFsharp's setting is global).</summary>
    public static void Install()
    {
        lock (Gate)
        {
            if (GlobalFontSettings.FontResolver is not InvoiceFonts)
            {
                GlobalFontSettings.FontResolver = new InvoiceFonts();
            }
        }
    }

    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
        new(bold ? "DejaVuSans-Bold" : "DejaVuSans", mustSimulateBold: false, mustSimulateItalic: italic);

    public byte[]? GetFont(string faceName)
    {
        using var stream = typeof(InvoiceFonts).Assembly.GetManifestResourceStream($"Hourdini.Fonts.{faceName}.ttf");
        if (stream is null)
        {
            return null;
        }

        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
