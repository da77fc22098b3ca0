namespace Hourdini.Grains.Projects;

/// <summary>
/// What a piece of work on a project is billed at, read when the work starts and copied onto it
/// (R5, R19): later changes to the project or client never reach work already started.
/// </summary>
[GenerateSerializer, Immutable, Alias("hd.ProjectTerms")]
/// <param name="AgentRate">R26: billed agent seconds are valued at it when set (null: at <paramref name="Rate"/>).</param>
public sealed record ProjectTerms(Guid ProjectId, decimal Rate, string Currency, bool BillAgentTime, decimal? AgentRate = null)
{
    /// <summary>R19: the project's rate when set, else the client's default rate.</summary>
    public static decimal EffectiveRate(decimal? projectRate, decimal clientDefaultRate) =>
        projectRate ?? clientDefaultRate;
}
