using System.Text.Json;
using Hourdini.Grains.Agents;
using Hourdini.Grains.Common;
using Hourdini.Grains.Entries;
using Orleans.Runtime;

namespace Hourdini.Grains.Sessions;

/// <summary>
/// A session (R1–R16). Each change is one write of its own state, with the rows it makes (timeline events, its entry,
/// the updates its agent pulled) in the same transaction. Once stopped it never changes again (R7), so its activation
/// goes as soon as it is idle instead of holding its timeline in memory until the idle timeout.
/// </summary>
/// <remarks>Placed beside the user grain that starts it (its first caller).</remarks>
[Orleans.Placement.PreferLocalPlacement]
public sealed class SessionGrain(
    [PersistentState("session", StorageNames.Tracking)] IPersistentState<SessionState> session,
    ITimeEntryLedger ledger,
    ISessionJournal journal,
    IAgentInbox inbox,
    ITaskBoard board,
    IAgentPresence presence,
    IPendingRows rows,
    TimeProvider clock) : Grain, ISessionGrain
{
    public async Task<SessionOpened> StartAsync(SessionStart start)
    {
        if (session.RecordExists)
        {
            throw Refusal.Conflict("session_exists", "A session with this id already exists.");
        }

        start.FirstBeat.EnsurePersonDrives(start.AgentId); // R2, R21: an agent's session begins in an agent beat
        var id = GrainKeys.Parse(this.GetPrimaryKeyString()).Id;

        // R12: an agent's start pulls its updates; the marks commit with this session's first write, exactly once.
        var updates = start.AgentId is { } agentId ? await inbox.PullAsync(start.OrgId, agentId) : AgentUpdates.None;
        var metadata = $$"""{"pull_summary": {{updates.SummaryJson}}, "environment": {{start.EnvironmentJson}}}""";
        var state = new SessionState
        {
            Id = id,
            OrgId = start.OrgId,
            UserId = start.UserId,
            AgentId = start.AgentId,
            ProjectId = start.Project.ProjectId,
            Description = start.Description,
            Status = SessionStatus.Started,
            BillAgentTime = start.Project.BillAgentTime,
            AgentRate = start.Project.AgentRate,
            Rate = start.Project.Rate,
            Currency = start.Project.Currency,
            StartedAt = start.At,
            LastHeardAt = start.AgentId is null ? null : start.At,
            Beats = Timeline.Start(start.FirstBeat, start.At),
            Metadata = metadata,
        };
        (session.State, _) = Record(state, SessionEventTypes.Start, start.At, new
        {
            first_beat = start.FirstBeat.ToWire(),
            agent_id = start.AgentId,
            pull_summary = JsonDocument.Parse(updates.SummaryJson).RootElement,
        });
        var opened = new SessionOpened(session.State, updates);
        rows.Remember(opened);
        await session.WriteStateAsync();
        return opened;
    }

    public Task<SessionState?> GetAsync()
    {
        ReleaseIfSettled();
        return Task.FromResult(session.RecordExists ? session.State : null);
    }

    public async Task<SessionState> SwitchBeatAsync(SessionCaller caller, BeatKind kind, DateTimeOffset at)
    {
        kind.EnsurePersonDrives(caller.AgentId); // R21, behind the gateway's and the user grain's checks
        var current = EnsureOpenFor(caller);
        var byAgent = caller.AgentId is not null;
        var beats = Timeline.Switch(current.Beats, kind, at);
        if (ReferenceEquals(beats, current.Beats))
        {
            // The timeline is unchanged, but R15 counts any beat as the agent being heard from.
            if (!byAgent || current.AgentId is null || current.LastHeardAt + AgentLease.RenewEvery > at)
            {
                return current;
            }

            session.State = Heard(current, byAgent, at);
            rows.Remember(session.State);
            await session.WriteStateAsync();
            return session.State;
        }

        (session.State, _) = Record(Heard(current with { Beats = beats }, byAgent, at), SessionEventTypes.Beat, beats[^1].StartedAt, new
        {
            kind = kind.ToWire(),
            previous = beats[^2].Kind.ToWire(),
        });
        rows.Remember(session.State);
        await session.WriteStateAsync();

        // A person's session that went idle waits, often for hours, until its person focuses it again: it need not hold
        // its timeline in memory meanwhile. The next call reads it back (one round trip). An agent's session stays: its
        // agent calls it every few seconds.
        if (kind == BeatKind.Idle && current.AgentId is null)
        {
            this.DeactivateOnIdle();
        }

        return session.State;
    }

    public async Task<SessionState?> SwitchUnfocusedBeatAsync(SessionCaller caller, BeatKind kind)
    {
        if (kind == BeatKind.Active)
        {
            throw new ArgumentException("A switch to active moves the user's focus: it goes through the user's grain.", nameof(kind));
        }

        var current = EnsureOpenFor(caller);
        return current.Beats[^1].Kind == BeatKind.Active ? null : await SwitchBeatAsync(caller, kind, clock.UtcNowMs());
    }

    public async Task<SessionState> DemoteAsync(SessionCaller caller, BeatKind to, DateTimeOffset at)
    {
        var current = EnsureOpenFor(caller);
        return current.Beats[^1].Kind == BeatKind.Active ? await SwitchBeatAsync(caller, to, at) : current;
    }

    public async Task<SessionEvent> LogAsync(SessionCaller caller, string message, Guid? taskId)
    {
        var current = EnsureOpenFor(caller);
        if (taskId is { } id && await board.GetAsync(current.OrgId, id) is null)
        {
            throw Refusal.NotFound("Task");
        }

        var at = clock.UtcNowMs();
        var (state, logged) = Record(
            Heard(WorkedOn(current, taskId), caller.AgentId is not null, at) with { LogsCount = current.LogsCount + 1 },
            SessionEventTypes.Log,
            at,
            new { message, task_id = taskId });
        session.State = state;
        rows.Remember(logged);
        await session.WriteStateAsync();
        return logged;
    }

    public async Task<SessionEvent> RecordTaskChangeAsync(AgentTask task, bool reassigned, DateTimeOffset at)
    {
        var current = WorkedOn(EnsureOpen(), task.Id);
        if (task.Status == TaskStatuses.Done && !current.TasksCompleted.Contains(task.Id))
        {
            current = current with { TasksCompleted = current.TasksCompleted.Add(task.Id) };
        }

        board.Save(current.OrgId, task, reassigned);
        var (state, recorded) = Record(current, SessionEventTypes.TaskStatus, at, new { task_id = task.Id, status = task.Status });
        session.State = state;
        rows.Remember(recorded);
        await session.WriteStateAsync();
        return recorded;
    }

    public Task<SessionEnded> EndAsync(SessionCaller caller, DateTimeOffset at) => StopAsync(EnsureOpenFor(caller), at, StopReasons.Ended);

    public async Task<SessionEnded?> AutoStopAsync(int leaseSeconds)
    {
        if (!session.RecordExists || session.State is not { AgentId: not null, IsStopped: false } current)
        {
            ReleaseIfSettled();
            return null;
        }

        // Heartbeats renew the lease outside this grain, so the stored value is the one to go by.
        var lastHeard = await presence.LastHeardAsync(current.OrgId, current.Id) ?? current.StartedAt;
        if (lastHeard.AddSeconds(leaseSeconds) > clock.GetUtcNow())
        {
            return null;
        }

        // Commits only if the agent was not heard from again meanwhile; otherwise the write fails and a later sweep sees the renewal.
        presence.ExpectLastHeard(current.OrgId, current.Id, lastHeard);
        return await StopAsync(current, lastHeard, StopReasons.AutoStopped);
    }

    /// <summary>R6: close the open beat, bill active time plus agent time when the snapshot says so.</summary>
    private async Task<SessionEnded> StopAsync(SessionState current, DateTimeOffset at, string reason)
    {
        var beats = Timeline.Close(current.Beats, at);
        var stoppedAt = beats[^1].EndedAt!.Value;
        var totals = Timeline.Totals(beats, stoppedAt);
        var billable = totals.BillableSeconds(current.BillAgentTime);

        TimeEntry? entry = null;
        if (billable > 0)
        {
            entry = new TimeEntry(
                Id: Guid.CreateVersion7(stoppedAt),
                OrgId: current.OrgId,
                UserId: current.UserId,
                ProjectId: current.ProjectId,
                AgentId: current.AgentId,
                SessionId: current.Id,
                Source: EntrySource.Session,
                Description: current.Description,
                StartedAt: current.StartedAt,
                EndedAt: stoppedAt,
                DurationSeconds: billable,
                Billable: true,
                Rate: current.Rate,
                Currency: current.Currency,
                Tags: [],
                CreatedAt: stoppedAt,
                AgentRate: current.AgentRate,
                Split: new EntrySplit(
                    totals.ActiveSeconds,
                    current.BillAgentTime ? billable - totals.ActiveSeconds : totals.AgentSeconds,
                    totals.IdleSeconds,
                    current.BillAgentTime));
            ledger.Record(entry);
        }

        var stopped = current with { Beats = beats, StoppedAt = stoppedAt, EntryId = entry?.Id };
        (stopped, _) = Record(stopped, SessionEventTypes.Stop, stoppedAt, new
        {
            reason,
            duration_seconds = (long)(stoppedAt - current.StartedAt).TotalMilliseconds / 1000,
            active_seconds = totals.ActiveSeconds,
            agent_seconds = totals.AgentSeconds,
            idle_seconds = totals.IdleSeconds,
            billable_seconds = billable,
            tasks_worked_on = current.TasksWorkedOn,
            logs_count = current.LogsCount,
            tasks_completed = current.TasksCompleted.Count,
            entry_id = entry?.Id,
        });
        session.State = stopped with { Status = SessionStatus.Stopped };
        var ended = new SessionEnded(session.State, entry);
        rows.Remember(ended);
        await session.WriteStateAsync();
        this.DeactivateOnIdle();
        return ended;
    }

    /// <summary>R13: appends an event; the first event after the start moves the session to logging.</summary>
    private (SessionState State, SessionEvent Event) Record(SessionState state, string type, DateTimeOffset at, object data)
    {
        var appended = new SessionEvent(state.EventsCount + 1, type, at, JsonSerializer.Serialize(data));
        journal.Append(state.OrgId, state.Id, appended);
        var status = type == SessionEventTypes.Start ? SessionStatus.Started : SessionStatus.Logging;
        return (state with { EventsCount = appended.Seq, Status = status }, appended);
    }

    /// <summary>
    /// R15: the session's agent was heard from at <paramref name="at"/>. The lease then moves in the write this turn
    /// makes anyway, not in a transaction of its own that would contend for the same row.
    /// </summary>
    private static SessionState Heard(SessionState state, bool byAgent, DateTimeOffset at) =>
        byAgent && state.AgentId is not null && (state.LastHeardAt is not { } last || last < at) ? state with { LastHeardAt = at } : state;

    private static SessionState WorkedOn(SessionState state, Guid? taskId) =>
        taskId is { } id && !state.TasksWorkedOn.Contains(id) ? state with { TasksWorkedOn = state.TasksWorkedOn.Add(id) } : state;

    /// <summary>The session must be the caller's and, when an agent calls, that agent's own; then it must be open.</summary>
    private SessionState EnsureOpenFor(SessionCaller caller)
    {
        if (!session.RecordExists || session.State.UserId != caller.UserId
            || (caller.AgentId is not null && session.State.AgentId != caller.AgentId))
        {
            ReleaseIfSettled();
            throw Refusal.NotFound("Session");
        }

        return EnsureOpen();
    }

    private SessionState EnsureOpen()
    {
        ReleaseIfSettled();
        if (!session.RecordExists)
        {
            throw Refusal.NotFound("Session");
        }

        return session.State.IsStopped
            ? throw Refusal.Conflict("session_stopped", "The session is stopped; a stopped session cannot change.")
            : session.State;
    }

    /// <summary>A session that does not exist or is stopped will not change: its activation may go once idle.</summary>
    private void ReleaseIfSettled()
    {
        if (!session.RecordExists || session.State.IsStopped)
        {
            this.DeactivateOnIdle();
        }
    }
}
