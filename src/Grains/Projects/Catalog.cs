namespace Hourdini.Grains.Projects;

public sealed record Client(
    Guid Id,
    string Name,
    string Currency,
    decimal DefaultRate,
    string Color,
    bool Archived,
    DateTimeOffset CreatedAt);

public sealed record Project(
    Guid Id,
    Guid ClientId,
    string Name,
    decimal? Rate,
    bool BillAgentTime,
    bool Archived,
    DateTimeOffset CreatedAt,
    string Currency,
    decimal ClientDefaultRate,
    bool ClientArchived,
    string Color,
    decimal? AgentRate = null)
{
    /// <summary>R19, R26: what work started now on this project is billed at.</summary>
    public ProjectTerms Terms => new(Id, ProjectTerms.EffectiveRate(Rate, ClientDefaultRate), Currency, BillAgentTime, AgentRate);

    public decimal EffectiveRate => Terms.Rate;
}

/// <summary>
/// The colours new clients and projects take in turn, so the dots that tell them apart differ. The database gives the
/// same ones, in the same order, to rows inserted without a colour (migration 0019, <c>hd_palette_color</c>).
/// </summary>
public static class Palette
{
    public static IReadOnlyList<string> Colors { get; } =
    [
        "#4f46e5", "#0891b2", "#16a34a", "#d97706", "#dc2626", "#9333ea",
        "#db2777", "#0d9488", "#2563eb", "#65a30d", "#ea580c", "#475569",
    ];

    /// <summary>The colour of the next client or project when the org has <paramref name="count"/> of them.</summary>
    public static string Next(int count) => Colors[count % Colors.Count];
}

public static class Currencies
{
    // ISO 4217 active codes.
    private static readonly HashSet<string> Codes = """
        AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
        CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
        GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
        LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
        NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP
        STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG
        XOF XPF YER ZAR ZMW ZWG
        """.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);

    public static bool IsKnown(string? code) => code is not null && Codes.Contains(code);
}
