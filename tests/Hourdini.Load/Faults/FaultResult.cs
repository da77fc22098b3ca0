namespace Hourdini.Load.Faults;

/// <summary>One fault scenario's figures and whether every promise held (docs/RELIABILITY.md).</summary>
public sealed record FaultResult(
    string Name,
    string Fault,
    int Acknowledged,
    long Lost,
    int Calls,
    IReadOnlyDictionary<int, int> Refusals,
    IReadOnlyList<(string Figure, string Value)> Figures,
    IReadOnlyList<string> Broken)
{
    public bool Passed => Broken.Count == 0;

    /// <summary>5xx answers other than 503 (always a bug), and calls that got no HTTP answer at all.</summary>
    public int ServerErrors => Refusals.Where(r => r.Key >= 500 && r.Key != 503).Sum(r => r.Value);

    public int NoAnswer => Refusals.GetValueOrDefault(0);

    public void Print(TextWriter log)
    {
        log.WriteLine($"  {(Passed ? "PASS" : "FAIL")} {Name}: {Fault}");
        log.WriteLine($"    acknowledged {Acknowledged:N0}, lost {Lost}, calls {Calls:N0}, refused by status: " +
            (Refusals.Count == 0 ? "none" : string.Join(", ", Refusals.OrderBy(r => r.Key).Select(r => $"{(r.Key == 0 ? "no answer" : r.Key)}×{r.Value}"))));
        foreach (var (figure, value) in Figures)
        {
            log.WriteLine($"    {figure}: {value}");
        }

        foreach (var broken in Broken)
        {
            log.WriteLine($"    BROKEN: {broken}");
        }
    }
}
