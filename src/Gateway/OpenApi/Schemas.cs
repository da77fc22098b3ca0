using System.Text.Json;

namespace Hourdini.Gateway.OpenApi;

// What the API's answers look like, for the OpenAPI document (API.md is the contract). The handlers build their answers as
// views shared with MCP; these records describe those views field for field, and OpenApiTests checks real answers against
// them, so a field added to a view and not here fails the suite. A parameter with a default is absent from some answers
// (an agent's view leaves out money, R22): the document marks it optional.

/// <summary>An RFC 9457 problem: every refusal and failure. <c>code</c> is stable, for machines; <c>detail</c> is for people; <c>field</c> names the request field it is about, when it is about one.</summary>
public sealed record Problem(string Type, string Title, int Status, string Detail, string Code, string? TraceId = null, string? Field = null);

// Accounts and tokens

public sealed record User(Guid Id, string Email, string Name, DateTimeOffset CreatedAt);

/// <summary>The caller's person: for an agent token only <c>id</c> and <c>name</c> (R22).</summary>
public sealed record MeUser(Guid Id, string Name, string? Email = null, DateTimeOffset? CreatedAt = null);

public sealed record Org(Guid Id, string Name, int AgentLeaseSeconds, DateTimeOffset CreatedAt);

public sealed record SignedIn(User User, Org Org);

public sealed record Switched(User User, Org Org, [property: Values("owner", "member", "viewer")] string Role);

public sealed record Me(MeUser User, Org Org, [property: Values("owner", "member", "viewer")] string Role, Agent? Agent);

public sealed record Membership(Org Org, [property: Values("owner", "member", "viewer")] string Role, bool Current);

public sealed record MembershipList(IReadOnlyList<Membership> Orgs);

public sealed record OrgReply(Org Org);

public sealed record AccessToken(Guid Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>The token and its secret (<c>hd_pat_live_…</c>), shown this once.</summary>
public sealed record TokenCreated(AccessToken Token, string Secret);

public sealed record TokenList(IReadOnlyList<AccessToken> Tokens);

public sealed record Member(User User, [property: Values("owner", "member", "viewer")] string Role, DateTimeOffset JoinedAt);

public sealed record MemberList(IReadOnlyList<Member> Members);

public sealed record MemberReply(Member Member);

public sealed record Invitation(
    Guid Id, string Email, [property: Values("owner", "member", "viewer")] string Role, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>The invitation and its accept token, shown this once.</summary>
public sealed record InvitationCreated(Invitation Invitation, string AcceptToken);

public sealed record InvitationList(IReadOnlyList<Invitation> Invitations);

public sealed record Accepted(Org Org, [property: Values("owner", "member", "viewer")] string Role);

// Clients and projects

public sealed record Client(Guid Id, string Name, string Currency, decimal DefaultRate, string Color, bool Archived, DateTimeOffset CreatedAt);

public sealed record ClientReply(Client Client);

public sealed record ClientList(IReadOnlyList<Client> Clients);

public sealed record ViewerList(IReadOnlyList<Member> Viewers);

public sealed record ViewerReply(Member Viewer);

/// <summary>A project. <c>rate</c> null means the client's default rate applies (<c>effective_rate</c>).</summary>
public sealed record Project(
    Guid Id, Guid ClientId, string Name, decimal? Rate, decimal EffectiveRate, string Currency, bool BillAgentTime, decimal? AgentRate,
    string Color, bool Archived, DateTimeOffset CreatedAt);

/// <summary>What an agent token reads of a project (R22): no rates.</summary>
public sealed record ProjectBrief(Guid Id, string Name, string ClientName, bool BillAgentTime);

public sealed record ProjectReply([property: EitherOf(typeof(Project), typeof(ProjectBrief))] object Project);

public sealed record ProjectList([property: EitherOf(typeof(Project), typeof(ProjectBrief))] IReadOnlyList<object> Projects);

public sealed record ProjectTask(
    Guid Id, Guid ProjectId, string Title, [property: Values("open", "in_progress", "done")] string Status, Guid? AssigneeAgentId,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record TaskReply(ProjectTask Task);

public sealed record TaskList(IReadOnlyList<ProjectTask> Tasks);

// Agents

public sealed record Agent(Guid Id, string Name, [property: Values("active", "disabled")] string Status, Guid UserId, DateTimeOffset CreatedAt);

/// <summary>The agent and its token (<c>hd_agt_live_…</c>), shown this once.</summary>
public sealed record AgentCreated(Agent Agent, string Secret);

public sealed record AgentReply(Agent Agent);

public sealed record AgentList(IReadOnlyList<Agent> Agents);

public sealed record Message(Guid Id, Guid AgentId, Guid FromUserId, string Text, DateTimeOffset CreatedAt);

public sealed record MessageReply(Message Message);

/// <summary>New tasks and messages for an agent, each handed over once (R12).</summary>
public sealed record Updates(IReadOnlyList<ProjectTask> Tasks, IReadOnlyList<Message> Messages);

/// <summary>An agent's pull (R12) with its open session's project budget (R32), or null.</summary>
public sealed record UpdatesReply(IReadOnlyList<ProjectTask> Tasks, IReadOnlyList<Message> Messages, Budget? Budget);

// Timer

public sealed record Timer(
    Guid Id, Guid ProjectId, string Description, IReadOnlyList<string> Tags, DateTimeOffset StartedAt, long ElapsedSeconds, decimal Rate,
    string Currency);

/// <summary>The new timer, and the entry of the one it replaced (<c>replace: true</c>), if any.</summary>
public sealed record TimerStarted(Timer Timer, TimeEntry? ReplacedEntry);

public sealed record TimerReply(Timer? Timer);

public sealed record TimerStopped(TimeEntry Entry);

// Sessions

public sealed record CurrentBeat([property: Values("active", "agent", "idle")] string Kind, DateTimeOffset Since);

public sealed record Beat([property: Values("active", "agent", "idle")] string Kind, DateTimeOffset StartedAt, DateTimeOffset? EndedAt);

public sealed record SessionTotals(long ActiveSeconds, long AgentSeconds, long IdleSeconds, long BillableSeconds);

/// <summary>
/// A session (API.md). <c>current_beat</c> is null once stopped; totals are live while open. <c>rate</c>, <c>agent_rate</c>
/// and <c>currency</c> are left out for agent tokens (R22).
/// </summary>
public sealed record Session(
    Guid Id, Guid ProjectId, Guid UserId, Guid? AgentId, string Description,
    [property: Values("started", "logging", "stopped")] string Status, bool BillAgentTime, CurrentBeat? CurrentBeat,
    DateTimeOffset StartedAt, DateTimeOffset? StoppedAt, long? DurationSeconds, IReadOnlyList<Beat> Beats, SessionTotals Totals,
    IReadOnlyList<Guid> TasksWorkedOn, int LogsCount, int TasksCompleted, IReadOnlyDictionary<string, JsonElement> Metadata, Guid? EntryId,
    [property: PersonOnly] decimal? Rate = null, decimal? AgentRate = null, [property: PersonOnly] string? Currency = null);

/// <summary>
/// The started session; the entry of the timer it stopped, if any (R3); for agent tokens, the agent's new tasks and
/// messages (R12). <c>budget</c> is the project's budget status (R32), or null.
/// </summary>
public sealed record SessionStarted(Session Session, TimeEntry? StoppedTimerEntry, Updates? Updates, Budget? Budget);

public sealed record SessionReply(Session Session);

public sealed record SessionList(IReadOnlyList<Session> Sessions, string? NextCursor);

/// <summary>The stopped session and the entry it wrote (R6); null when it is stopped with no time to record.</summary>
public sealed record SessionEnded(Session Session, TimeEntry? Entry);

public sealed record SessionEvent(int Seq, string Type, DateTimeOffset At, IReadOnlyDictionary<string, JsonElement> Data);

public sealed record EventReply(SessionEvent Event);

public sealed record Timeline(IReadOnlyList<SessionEvent> Events, int? NextAfter);

public sealed record Focus([property: Values("session", "timer")] string Type, Guid Id);

public sealed record FocusReply(Focus? Focus);

// Time entries

/// <summary>
/// A time entry (API.md) with its split (R25) and what it is worth (R26). <c>rate</c>, <c>currency</c>, <c>agent_rate</c>,
/// <c>amount</c>, <c>invoice_id</c>, <c>original_duration_seconds</c> and <c>corrected_at</c> are left out for agent tokens (R22).
/// </summary>
public sealed record TimeEntry(
    Guid Id, Guid ProjectId, Guid UserId, Guid? AgentId, Guid? SessionId, [property: Values("timer", "session", "manual", "import")] string Source,
    string Description, DateTimeOffset StartedAt, DateTimeOffset EndedAt, long DurationSeconds, bool Billable, IReadOnlyList<string> Tags,
    DateTimeOffset CreatedAt, long ActiveSeconds, long AgentSeconds, long IdleSeconds, bool AgentBilled,
    [property: PersonOnly] decimal? Rate = null, [property: PersonOnly] string? Currency = null, decimal? AgentRate = null,
    [property: Money, PersonOnly] string? Amount = null, Guid? InvoiceId = null, long? OriginalDurationSeconds = null, DateTimeOffset? CorrectedAt = null);

public sealed record TimeEntryReply(TimeEntry TimeEntry);

public sealed record TimeEntryList(IReadOnlyList<TimeEntry> TimeEntries, string? NextCursor);

public sealed record EntryChange(string Type, DateTimeOffset At, Guid? ActorUserId, IReadOnlyDictionary<string, JsonElement> Data);

/// <summary>The corrections of an entry (R27), oldest first.</summary>
public sealed record EntryHistory(IReadOnlyList<EntryChange> Events);

public sealed record ProjectTotal(Guid ProjectId, string ProjectName, string Currency, long Seconds, long BillableSeconds, decimal Amount, long Entries);

public sealed record CurrencyTotal(string Currency, long Seconds, long BillableSeconds, decimal Amount);

/// <summary>Totals per project, and per currency (R20: never converted).</summary>
public sealed record EntrySummary([property: Values("project")] string GroupBy, IReadOnlyList<ProjectTotal> Groups, IReadOnlyList<CurrencyTotal> Totals);

// Reports, imports

public sealed record ReportAmount(string Currency, [property: Money] string Amount);

public sealed record ReportGroup(
    string? Key, string Label, long BillableSeconds, long ActiveSeconds, long AgentSeconds, long IdleSeconds, long Entries,
    IReadOnlyList<ReportAmount> Amounts);

public sealed record ReportTotal(string Currency, long BillableSeconds, long ActiveSeconds, long AgentSeconds, [property: Money] string Amount);

/// <summary>A report (R28): groups in the requested order, totals per currency (R20).</summary>
public sealed record ReportSummary(
    [property: Values("client", "project", "agent", "source", "user", "day", "week")] string GroupBy, string Tz,
    IReadOnlyList<ReportGroup> Groups, IReadOnlyList<ReportTotal> Totals);

public sealed record ImportFailure(int Line, string Code, string Detail);

public sealed record ImportResult(
    Guid Id, [property: Values("toggl", "clockify", "harvest")] string Source, bool DryRun, int Rows, int Created, int Duplicates,
    IReadOnlyList<ImportFailure> Failed, int ClientsCreated, int ProjectsCreated);

public sealed record ImportReply(ImportResult Import);

// Invoices, budgets, webhooks

public sealed record InvoicePeriod([property: Day] string From, [property: Day] string To);

public sealed record InvoiceLine(
    Guid ProjectId, string ProjectName, [property: Values("hands_on", "agent_run")] string Kind, long Seconds, [property: Money] string Rate,
    [property: Money] string Amount);

/// <summary>An invoice (R31); money fields are strings with 2 decimals.</summary>
public sealed record Invoice(
    Guid Id, Guid ClientId, string ClientName, string Currency, [property: Values("draft", "issued", "void")] string Status, string? Number,
    DateTimeOffset? IssuedAt, InvoicePeriod Period, IReadOnlyList<InvoiceLine> Lines, long Seconds, [property: Money] string Subtotal,
    decimal? TaxPercent, [property: Money] string Tax, [property: Money] string Total, string? Notes, IReadOnlyList<Guid> EntryIds,
    DateTimeOffset CreatedAt, DateTimeOffset? VoidedAt);

public sealed record InvoiceReply(Invoice Invoice);

public sealed record InvoiceList(IReadOnlyList<Invoice> Invoices, string? NextCursor);

/// <summary>
/// A project's budget and what is used of it (R32): <c>used</c> in hours or money, a string with 2 decimals. An agent
/// sees a money budget's <c>limit</c> and <c>used</c> as null: they are amounts (R22); its percentages and status it sees.
/// </summary>
public sealed record Budget(
    [property: Values("hours", "money")] string Kind, decimal? Limit, int WarnPercent, int CriticalPercent, string Currency, [property: Money] string? Used,
    decimal UsedPercent, [property: Values("ok", "warn", "critical")] string Status);

public sealed record BudgetReply(Budget? Budget);

/// <summary>
/// A webhook. <c>failing_attempts</c>: failed attempts in a row (0 after a delivered one); <c>paused_until</c>: while its
/// receiver keeps failing, its deliveries wait until then, else null.
/// </summary>
public sealed record Webhook(Guid Id, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, int FailingAttempts, DateTimeOffset? PausedUntil);

/// <summary>The webhook and its signing secret (<c>whsec_…</c>), shown this once.</summary>
public sealed record WebhookCreated(Webhook Webhook, string Secret);

public sealed record WebhookList(IReadOnlyList<Webhook> Webhooks);

public sealed record Delivery(
    Guid Id, string Event, [property: Values("pending", "delivered", "failed")] string Status, int Attempts, int? LastStatusCode,
    DateTimeOffset CreatedAt, string? LastError, DateTimeOffset? LastAttemptAt, DateTimeOffset? NextAttemptAt, DateTimeOffset? DeliveredAt);

public sealed record DeliveryList(IReadOnlyList<Delivery> Deliveries);

// Health

public sealed record Health(string Status);

public sealed record Readiness([property: Values("ready", "migrating", "database_unavailable")] string Status, int? SchemaVersion = null);

/// <summary>The values a string field takes: an enum in the document.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ValuesAttribute(params string[] values) : Attribute
{
    public IReadOnlyList<string> Values { get; } = values;
}

/// <summary>A field agent tokens do not see (R22): optional, and never null when present.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PersonOnlyAttribute : Attribute;

/// <summary>An amount of money as a string with 2 decimals, e.g. <c>"123.45"</c>.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MoneyAttribute : Attribute;

/// <summary>A calendar date, e.g. <c>2026-12-01</c>.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DayAttribute : Attribute;

/// <summary>A value (or the items of a list) that is one of these schemas, depending on the caller (e.g. an agent's view).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class EitherOfAttribute(params Type[] types) : Attribute
{
    public IReadOnlyList<Type> Types { get; } = types;
}
