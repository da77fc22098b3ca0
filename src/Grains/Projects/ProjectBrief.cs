namespace Hourdini.Grains.Projects;

/// <summary>
/// A project as an agent sees it (R22): enough to pick it for a session and to know whether its run is billed, and
/// nothing about money (no rates, no currency).
/// </summary>
public sealed record ProjectBrief(Guid Id, string Name, string ClientName, bool BillAgentTime);
