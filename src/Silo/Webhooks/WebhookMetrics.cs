using System.Diagnostics.Metrics;
using Hourdini.Silo.Storage;

namespace Hourdini.Silo.Webhooks;

/// <summary>
/// The outbox's measures (issue 28, R33) on the <c>Hourdini</c> meter that <c>/metrics</c> exports: how deep the outbox is
/// (deliveries pending, those due now, the age of the oldest due one), sampled by each dispatcher at most once a
/// second while it polls, and every attempt's outcome. A growing due count or age means receivers or dispatchers lag.
/// </summary>
public static class WebhookMetrics
{
    private static readonly Meter Meter = new(StorageMetrics.MeterName);
    private static Depth _depth = new(0, 0, 0);

    /// <summary>delivered, retry (failed, will be tried again) or failed (given up after the retry period).</summary>
    public static readonly Counter<long> Attempts = Meter.CreateCounter<long>(
        "hourdini.webhooks.attempts", "{attempt}", "Webhook delivery attempts by outcome: delivered, retry, failed.");

    static WebhookMetrics()
    {
        Meter.CreateObservableGauge("hourdini.webhooks.outbox.pending", () => Volatile.Read(ref _depth).Pending, "{delivery}",
            "Deliveries not yet delivered or given up, due now or waiting for a retry.");
        Meter.CreateObservableGauge("hourdini.webhooks.outbox.due", () => Volatile.Read(ref _depth).Due, "{delivery}",
            "Pending deliveries whose time has come and no dispatcher has claimed.");
        Meter.CreateObservableGauge("hourdini.webhooks.outbox.oldest_due_age", () => Volatile.Read(ref _depth).OldestDueSeconds, "s",
            "How long the oldest due delivery has waited for a dispatcher.");
    }

    public sealed record Depth(long Pending, long Due, double OldestDueSeconds);

    public static void Record(Depth depth) => Volatile.Write(ref _depth, depth);
}
