namespace Hourdini.Grains.Invoices;

public static class InvoiceStatus
{
    public const string Draft = "draft";
    public const string Issued = "issued";
    public const string Void = "void";

    public static bool IsKnown(string status) => status is Draft or Issued or Void;
}

/// <summary>
/// R31: an invoice for one client in its currency (R20). <see cref="Number"/> (<c>INV-2026-0001</c>) is given on issue
/// and kept when voided; <see cref="OrgName"/> and <see cref="ClientName"/> are as they were when it was drafted or issued.
/// </summary>
public sealed record Invoice(
    Guid Id,
    Guid OrgId,
    Guid ClientId,
    Guid CreatedBy,
    string Currency,
    string Status,
    string? Number,
    DateTimeOffset? IssuedAt,
    DateOnly PeriodFrom,
    DateOnly PeriodTo,
    decimal? TaxPercent,
    string? Notes,
    string OrgName,
    string ClientName,
    InvoiceTotals Totals,
    IReadOnlyList<Guid> EntryIds,
    DateTimeOffset CreatedAt,
    DateTimeOffset? VoidedAt)
{
    /// <summary>The billed seconds of all its lines: the sum of its entries' durations.</summary>
    public long Seconds => Totals.Lines.Sum(l => l.Seconds);

    /// <summary>The org's yearly number: <c>INV-YYYY-NNNN</c> (more digits past 9,999).</summary>
    public static string FormatNumber(int year, int seq) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"INV-{year:0000}-{seq:0000}");
}
