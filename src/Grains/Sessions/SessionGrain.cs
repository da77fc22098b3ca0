using System.Text.Json;
using Hourdini.Grains.Agents;
using Hourdini.Grains.Common;
using Hourdini.Grains.Entries;
using Hourdini.Grains.Hosting;

namespace Hourdini.Grains.Sessions;

/// <summary>
/// A session (R1–R16). Once stopped it never changes again (R7), so its activation goes as soon as it is idle instead of
/// holding its timeline in memory until the idle timeout; a later call reads it back (issue 6: memory no longer grows
/// with how many sessions ended in the last quarter of an hour).
/// </summary>
public sealed class SessionGrain(IGrainContext context, IPersistentState<SessionState> session, ITimeEntryLedger ledger, ISessionJournal journal)
    : ISessionGrain
{
    public async Task<SessionState> StartAsync(SessionStart start)
    {
        if (session.RecordExists)
        {
            throw Refusal.Conflict("session_exists", "A session with this id already exists.");
        }

        var state = new SessionState
        {
            Id = start.Id,
            OrgId = start.OrgId,
            UserId = start.UserId,
            AgentId = start.AgentId,
            ProjectId = start.Project.ProjectId,
            Description = start.Description,
            Status = SessionStatus.Started,
            BillAgentTime = start.Project.BillAgentTime,
            Rate = start.Project.Rate,
            Currency = start.Project.Currency,
            StartedAt = start.At,
            LastHeardAt = start.AgentId is null ? null : start.At,
            Beats = Timeline.Start(start.FirstBeat, start.At),
            Metadata = start.Metadata,
        };
        using var metadata = JsonDocument.Parse(start.Metadata);
        (session.State, _) = Record(state, SessionEventTypes.Start, start.At, new
        {
            first_beat = start.FirstBeat.ToWire(),
            agent_id = start.AgentId,
            pull_summary = metadata.RootElement.TryGetProperty("pull_summary", out var summary) ? summary : default(JsonElement?),
        });
        await session.WriteStateAsync();
        return session.State;
    }

    public Task<SessionState?> GetAsync()
    {
        ReleaseIfSettled();
        return Task.FromResult(session.RecordExists ? session.State : null);
    }

    public async Task<SessionState> SwitchBeatAsync(BeatKind kind, DateTimeOffset at, bool byAgent = false)
    {
        var current = EnsureOpen();
        var beats = Timeline.Switch(current.Beats, kind, at);
        if (ReferenceEquals(beats, current.Beats))
        {
            // The timeline is unchanged, but R15 counts any beat as the agent being heard from.
            if (!byAgent || current.AgentId is null || current.LastHeardAt + AgentLease.RenewEvery > at)
            {
                return current;
            }

            session.State = Heard(current, byAgent, at);
            await session.WriteStateAsync();
            return session.State;
        }

        (session.State, _) = Record(Heard(current with { Beats = beats }, byAgent, at), SessionEventTypes.Beat, beats[^1].StartedAt, new
        {
            kind = kind.ToWire(),
            previous = beats[^2].Kind.ToWire(),
        });
        await session.WriteStateAsync();
        return session.State;
    }

    public async Task<SessionEvent> LogAsync(string message, Guid? taskId, DateTimeOffset at, bool byAgent = false)
    {
        var current = EnsureOpen();
        var (state, logged) = Record(
            Heard(WorkedOn(current, taskId), byAgent, at) with { LogsCount = current.LogsCount + 1 },
            SessionEventTypes.Log,
            at,
            new { message, task_id = taskId });
        session.State = state;
        await session.WriteStateAsync();
        return logged;
    }

    public async Task<SessionEvent> RecordTaskStatusAsync(Guid taskId, string status, DateTimeOffset at)
    {
        var current = WorkedOn(EnsureOpen(), taskId);
        if (status == TaskStatuses.Done && !current.TasksCompleted.Contains(taskId))
        {
            current = current with { TasksCompleted = current.TasksCompleted.Add(taskId) };
        }

        var (state, recorded) = Record(current, SessionEventTypes.TaskStatus, at, new { task_id = taskId, status });
        session.State = state;
        await session.WriteStateAsync();
        return recorded;
    }

    /// <summary>R6: close the open beat, bill active time plus agent time when the snapshot says so.</summary>
    public async Task<SessionEnded> EndAsync(DateTimeOffset at, string reason)
    {
        var current = EnsureOpen();
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
                CreatedAt: stoppedAt);
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
        await session.WriteStateAsync();
        context.DeactivateOnIdle();
        return new SessionEnded(session.State, entry);
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

    private SessionState EnsureOpen()
    {
        ReleaseIfSettled();
        if (!session.RecordExists)
        {
            throw Refusal.NotFound("Session");
        }

        return session.State.IsStopped
            ? throw Refusal.Conflict("session_stopped", "The session is stopped; a stopped session cannot change (R7).")
            : session.State;
    }

    /// <summary>A session that does not exist or is stopped will not change: its activation may go once idle.</summary>
    private void ReleaseIfSettled()
    {
        if (!session.RecordExists || session.State.IsStopped)
        {
            context.DeactivateOnIdle();
        }
    }
}
