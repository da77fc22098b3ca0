namespace Hourdini.Silo.Webhooks;

/// <summary>The events a webhook can subscribe to (API.md, "Webhooks").</summary>
public static class WebhookEvents
{
    public const string SessionStarted = "session.started";
    public const string SessionEnded = "session.ended";
    public const string EntryCreated = "entry.created";
    public const string EntryUpdated = "entry.updated";
    public const string InvoiceIssued = "invoice.issued";
    public const string BudgetThreshold = "budget.threshold";

    public static readonly IReadOnlyList<string> All =
        [SessionStarted, SessionEnded, EntryCreated, EntryUpdated, InvoiceIssued, BudgetThreshold];
}
