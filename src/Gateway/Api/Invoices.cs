using System.Globalization;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Gateway.Invoices;
using Hourdini.Grains.Accounts;
using Hourdini.Grains.Common;
using Hourdini.Grains.Invoices;
using Hourdini.Silo.Storage.Invoices;

namespace Hourdini.Gateway.Api;

/// <summary>
/// R31: invoices. A draft is drafted from a client's billable, uninvoiced entries that started in a period of whole UTC
/// days; issuing numbers it (<c>INV-2026-0001</c>) and locks its entries; voiding keeps its number and unlocks them; a
/// draft can be deleted. People only (R22: agent tokens are refused); Owners and Members write, Viewers read the
/// invoices of the clients granted to them.
/// </summary>
/// <remarks>
/// Whose work: an Owner invoices every member's entries on the client and sees every invoice of the org; a Member
/// invoices their own entries and sees the invoices they drafted. A draft is what its preview showed: issuing re-reads
/// its entries and refuses (409 <c>invoice_outdated</c>) when any of them changed, went or was invoiced meanwhile;
/// entries added to the period after the draft are not in it (draft again to include them).
/// </remarks>
public static class InvoicesApi
{
    /// <summary>The longest period one invoice covers.</summary>
    public const int MaxDays = 366;

    /// <summary>A client's billable, uninvoiced entries that started from <c>from</c> to <c>to</c> (whole UTC days).</summary>
    [OpenApi.Requires("client_id", "from", "to")]
    public sealed record DraftBody(string? ClientId, [property: OpenApi.Day] string? From, [property: OpenApi.Day] string? To, decimal? TaxPercent, string? Notes);

    public static void MapInvoices(this RouteGroupBuilder api)
    {
        var invoices = api.MapGroup("/invoices").RequireAuthorization().WithTags("Invoices");
        invoices.MapPost("", async (DraftBody body, HttpContext context, InvoiceStore store, TimeProvider clock) =>
        {
            var draft = await DraftAsync(body, context.Caller(), store, clock.UtcNowMs(), context.RequestAborted);
            return Results.Created($"/api/v1/invoices/{draft.Id}", new { invoice = View(draft) });
        }).Returns<OpenApi.InvoiceReply>("draftInvoice", "Draft an invoice for a client and period", StatusCodes.Status201Created);
        invoices.MapGet("", async (string? status, string? cursor, int? limit, HttpContext context, InvoiceStore store) =>
        {
            var caller = context.Caller();
            if (status is not null && !InvoiceStatus.IsKnown(status))
            {
                throw Refusal.Invalid("status must be one of draft, issued, void.");
            }

            var (page, next) = await store.ListAsync(
                caller.OrgId, ScopeOf(caller), status, Cursors.Decode(cursor), Validate.Limit(limit), context.RequestAborted);
            return Results.Ok(new { invoices = page.Select(View), next_cursor = Cursors.Encode(next) });
        }).Returns<OpenApi.InvoiceList>("listInvoices", "List invoices, newest first");
        invoices.MapGet("/{id}", async (string id, HttpContext context, InvoiceStore store) =>
            Results.Ok(new { invoice = View(await GetAsync(id, context.Caller(), store, context.RequestAborted)) }))
            .Returns<OpenApi.InvoiceReply>("getInvoice", "Read an invoice");
        invoices.MapPost("/{id}/issue", async (string id, HttpContext context, InvoiceStore store, TimeProvider clock) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var issued = await store.IssueAsync(caller.OrgId, Validate.Id(id, "Invoice"), ScopeOf(caller), clock.UtcNowMs(), context.RequestAborted)
                ?? throw Refusal.NotFound("Invoice");
            return Results.Ok(new { invoice = View(issued) });
        }).Returns<OpenApi.InvoiceReply>("issueInvoice", "Issue a draft: number it and lock its entries");
        invoices.MapPost("/{id}/void", async (string id, HttpContext context, InvoiceStore store, TimeProvider clock) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var voided = await store.VoidAsync(caller.OrgId, Validate.Id(id, "Invoice"), ScopeOf(caller), clock.UtcNowMs(), context.RequestAborted)
                ?? throw Refusal.NotFound("Invoice");
            return Results.Ok(new { invoice = View(voided) });
        }).Returns<OpenApi.InvoiceReply>("voidInvoice", "Void an issued invoice: its number stays, its entries unlock");
        invoices.MapDelete("/{id}", async (string id, HttpContext context, InvoiceStore store) =>
        {
            var caller = context.Caller().EnsureCanWrite();
            var invoiceId = Validate.Id(id, "Invoice");
            // A keyed delete run again after its first run died answers as that run would have: the draft is gone.
            return await store.DeleteDraftAsync(caller.OrgId, invoiceId, ScopeOf(caller), context.RequestAborted) || IdempotencyMiddleware.IsRecovering(context)
                ? Results.NoContent()
                : throw Refusal.NotFound("Invoice");
        }).ReturnsNothing("deleteInvoice", "Delete a draft");
        invoices.MapGet("/{id}/pdf", async (string id, HttpContext context, InvoiceStore store) =>
        {
            var invoice = await GetAsync(id, context.Caller(), store, context.RequestAborted);
            if (invoice.Status == InvoiceStatus.Draft)
            {
                throw Refusal.Conflict("invoice_not_issued", "A draft has no PDF yet; issue it first.");
            }

            context.Response.Headers.CacheControl = "no-store";
            return Results.File(InvoicePdf.Render(invoice), InvoicePdf.ContentType, $"{invoice.Number}.pdf");
        }).ReturnsFile("getInvoicePdf", "Download an issued invoice as PDF", InvoicePdf.ContentType);
    }

    public static async Task<Invoice> DraftAsync(DraftBody body, Caller caller, InvoiceStore store, DateTimeOffset now, CancellationToken ct)
    {
        caller.EnsureCanWrite();
        var clientId = Validate.Id(Validate.Text(body.ClientId, "client_id", 100), "Client");
        var from = Day(body.From, "from");
        var to = Day(body.To, "to");
        if (to < from || to.DayNumber - from.DayNumber >= MaxDays)
        {
            throw Refusal.Invalid($"to must not be before from, and an invoice covers at most {MaxDays} days.");
        }

        if (body.TaxPercent is { } tax && (tax is < 0 or > 100 || decimal.Round(tax, 2) != tax))
        {
            throw Refusal.Invalid("tax_percent must be between 0 and 100 with at most two decimals.");
        }

        var notes = Validate.OptionalText(body.Notes, "notes", 2000);
        var request = new DraftRequest(
            caller.OrgId, caller.UserId, clientId, from, to, body.TaxPercent, string.IsNullOrEmpty(notes) ? null : notes,
            caller.Role == Role.Owner ? null : caller.UserId, now);
        return await store.DraftAsync(request, ct) ?? throw Refusal.NotFound("Client");
    }

    public static async Task<Invoice> GetAsync(string id, Caller caller, InvoiceStore store, CancellationToken ct) =>
        await store.GetAsync(caller.OrgId, Validate.Id(id, "Invoice"), ScopeOf(caller), ct) ?? throw Refusal.NotFound("Invoice");

    /// <summary>Owners reach the whole org's invoices, Members those they drafted, Viewers those of their granted clients.</summary>
    public static InvoiceScope ScopeOf(Caller caller) =>
        caller.ViewerScope() is { } viewer ? new InvoiceScope(null, viewer)
        : caller.Role == Role.Owner ? InvoiceScope.WholeOrg
        : new InvoiceScope(caller.UserId, null);

    private static DateOnly Day(string? text, string field) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) && day.Year is >= 2000 and <= 2100
            ? day
            : throw Refusal.Invalid($"{field} must be a date between 2000 and 2100, e.g. 2026-12-01.");

    public static string Money(long cents) => InvoiceLines.Money(cents).ToString("0.00", CultureInfo.InvariantCulture);

    public static object View(Invoice i) => new
    {
        id = i.Id,
        client_id = i.ClientId,
        client_name = i.ClientName,
        currency = i.Currency,
        status = i.Status,
        number = i.Number,
        issued_at = i.IssuedAt,
        period = new { from = i.PeriodFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), to = i.PeriodTo.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) },
        lines = i.Totals.Lines.Select(l => new
        {
            project_id = l.ProjectId,
            project_name = l.ProjectName,
            kind = l.Kind,
            seconds = l.Seconds,
            rate = Money(l.RateCents),
            amount = Money(l.AmountCents),
        }),
        seconds = i.Seconds,
        subtotal = Money(i.Totals.SubtotalCents),
        tax_percent = i.TaxPercent,
        tax = Money(i.Totals.TaxCents),
        total = Money(i.Totals.TotalCents),
        notes = i.Notes,
        entry_ids = i.EntryIds,
        created_at = i.CreatedAt,
        voided_at = i.VoidedAt,
    };
}
