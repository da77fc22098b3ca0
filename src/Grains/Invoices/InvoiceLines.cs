using Hourdini.Grains.Entries;

namespace Hourdini.Grains.Invoices;

public static class InvoiceKind
{
    public const string HandsOn = "hands_on";
    public const string AgentRun = "agent_run";
}

/// <summary>What an invoice needs of one entry: its project, billed duration, split (R25) and rates (R19, R26).</summary>
public sealed record InvoiceEntry(
    Guid Id, Guid ProjectId, string ProjectName, long DurationSeconds, EntrySplit Split, decimal Rate, decimal? AgentRate)
{
    public static InvoiceEntry Of(TimeEntry entry, string projectName) =>
        new(entry.Id, entry.ProjectId, projectName, entry.DurationSeconds, entry.SplitOrHandsOn, entry.Rate, entry.AgentRate);
}

/// <summary>One line of an invoice: a project's hands-on or agent-run seconds at one rate, in cents.</summary>
public sealed record InvoiceLine(Guid ProjectId, string ProjectName, string Kind, long Seconds, long RateCents, long AmountCents)
{
    /// <summary>Equal as far as the invoice's money goes (a renamed project is not a different line).</summary>
    public bool SameMoney(InvoiceLine other) =>
        ProjectId == other.ProjectId && Kind == other.Kind && Seconds == other.Seconds && RateCents == other.RateCents && AmountCents == other.AmountCents;
}

public sealed record InvoiceTotals(IReadOnlyList<InvoiceLine> Lines, long SubtotalCents, long TaxCents, long TotalCents);

/// <summary>
/// R31: an invoice's lines and totals, in integer cents. Lines group per project, kind and rate: hands-on seconds (a
/// session's active seconds; all of a timer, manual or imported entry) at the entry's rate, agent-run seconds (a
/// session's billed agent seconds) at its agent rate, or its rate when none was snapshotted (R26). Entries of one project
/// whose snapshotted rates differ make one line per rate, so no entry is priced at another's rate (R19). A line's
/// amount is its seconds × rate / 3600, rounded half to even once per line; the tax is the subtotal × the percentage,
/// rounded the same way.
/// </summary>
/// <remarks>
/// A corrected entry (R27) bills its corrected duration, split between hands-on and agent-run in the proportion its
/// session billed them (as <c>hd_entry_amount</c> scales the amount), in whole seconds: the agent-run part is rounded
/// half to even and hands-on takes the rest, so every entry's two parts add up to its duration exactly and the
/// invoice's seconds are the sum of its entries' durations. Because rounding happens per line instead of per entry,
/// the subtotal can differ from the sum of the entries' own <c>amount</c>s by under half a cent per entry; it is equal
/// whenever each entry's amount is a whole number of cents before rounding (e.g. whole minutes at a rate divisible by 60).
/// </remarks>
public static class InvoiceLines
{
    /// <summary>An entry's billed seconds as (hands-on, agent-run); they add up to its duration.</summary>
    public static (long HandsOn, long AgentRun) Seconds(InvoiceEntry entry)
    {
        var split = entry.Split;
        var billedAgent = split.AgentBilled ? split.AgentSeconds : 0;
        var billed = split.ActiveSeconds + billedAgent;
        if (billed == entry.DurationSeconds)
        {
            return (split.ActiveSeconds, billedAgent);
        }

        if (billed == 0)
        {
            return (entry.DurationSeconds, 0);
        }

        var agent = (long)Math.Round((decimal)billedAgent * entry.DurationSeconds / billed, MidpointRounding.ToEven);
        return (entry.DurationSeconds - agent, agent);
    }

    public static InvoiceTotals Compute(IEnumerable<InvoiceEntry> entries, decimal? taxPercent)
    {
        var parts = new List<(Guid ProjectId, string ProjectName, string Kind, long Seconds, long RateCents)>();
        foreach (var entry in entries)
        {
            var (handsOn, agentRun) = Seconds(entry);
            if (handsOn > 0)
            {
                parts.Add((entry.ProjectId, entry.ProjectName, InvoiceKind.HandsOn, handsOn, Cents(entry.Rate)));
            }

            if (agentRun > 0)
            {
                parts.Add((entry.ProjectId, entry.ProjectName, InvoiceKind.AgentRun, agentRun, Cents(entry.AgentRate ?? entry.Rate)));
            }
        }

        var lines = parts
            .GroupBy(p => (p.ProjectId, p.Kind, p.RateCents))
            .Select(g =>
            {
                var seconds = g.Sum(p => p.Seconds);
                return new InvoiceLine(g.Key.ProjectId, g.First().ProjectName, g.Key.Kind, seconds, g.Key.RateCents, LineCents(seconds, g.Key.RateCents));
            })
            .OrderBy(l => l.ProjectName, StringComparer.OrdinalIgnoreCase).ThenBy(l => l.ProjectId)
            .ThenBy(l => l.Kind == InvoiceKind.HandsOn ? 0 : 1).ThenBy(l => l.RateCents)
            .ToList();
        var subtotal = lines.Sum(l => l.AmountCents);
        var tax = taxPercent is { } percent ? RoundHalfEven(subtotal * percent / 100m) : 0;
        return new InvoiceTotals(lines, subtotal, tax, subtotal + tax);
    }

    /// <summary>seconds × rate / 3600 in cents, half to even.</summary>
    public static long LineCents(long seconds, long rateCents) => RoundHalfEven((decimal)seconds * rateCents / 3600m);

    public static long Cents(decimal money) => (long)(money * 100m);

    public static decimal Money(long cents) => cents / 100m;

    private static long RoundHalfEven(decimal value) => (long)Math.Round(value, MidpointRounding.ToEven);
}
