using Hourdini.Gateway.Api;
using Hourdini.Grains.Invoices;
using Hourdini.Silo.Storage.Invoices;
using Microsoft.AspNetCore.Mvc;

namespace Hourdini.Gateway.Web.Pages;

/// <summary>
/// /invoices (R31): the caller's invoices and a form to draft one from a client and a period; /invoices/{id}: one
/// invoice, its lines and totals (a draft's preview), and what can be done to it: issue or delete a draft, void an issued
/// one, download its PDF. Changes go through /api/v1.
/// </summary>
public sealed class InvoicesModel(InvoiceStore store) : AppPage
{
    public IReadOnlyList<Invoice> Invoices { get; private set; } = [];

    public Invoice? Selected { get; private set; }

    public DateOnly DefaultFrom => new DateOnly(Shell.Today.Year, Shell.Today.Month, 1).AddMonths(-1);

    public DateOnly DefaultTo => new DateOnly(Shell.Today.Year, Shell.Today.Month, 1).AddDays(-1);

    public async Task<IActionResult> OnGetAsync(string? id)
    {
        var ct = HttpContext.RequestAborted;
        if (id is not null)
        {
            Selected = Guid.TryParse(id, out var invoiceId) ? await store.GetAsync(Caller.OrgId, invoiceId, InvoicesApi.ScopeOf(Caller), ct) : null;
            return Selected is null ? NotFoundPage() : Page();
        }

        (Invoices, _) = await store.ListAsync(Caller.OrgId, InvoicesApi.ScopeOf(Caller), null, null, 200, ct);
        return Page();
    }

    public static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public static string Period(Invoice invoice) =>
        $"{invoice.PeriodFrom.ToString("d MMM yyyy", System.Globalization.CultureInfo.GetCultureInfo("en-US"))} – {invoice.PeriodTo.ToString("d MMM yyyy", System.Globalization.CultureInfo.GetCultureInfo("en-US"))}";

    public static string Money(long cents, string currency) => Format.Money(InvoiceLines.Money(cents), currency);

    public static string Hours(long seconds) => Format.Clock(seconds);

    public static string Title(Invoice invoice) => invoice.Number ?? "Draft";
}
