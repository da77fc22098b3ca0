using Hourdini.Grains.Common;
using Hourdini.Grains.Entries;
using Hourdini.Grains.Hosting;

namespace Hourdini.Grains.Sessions;

public sealed class SessionGrain(IPersistentState<SessionState> session, ITimeEntryLedger ledger) : ISessionGrain
{
    public async Task<SessionState> StartAsync(SessionStart start)
    {
        if (session.RecordExists)
        {
            throw Refusal.Conflict("session_exists", "A session with this id already exists.");
        }

        session.State = new SessionState
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
            Beats = Timeline.Start(start.FirstBeat, start.At),
            Metadata = start.Metadata,
        };
        await session.WriteStateAsync();
        return session.State;
    }

    public Task<SessionState?> GetAsync() => Task.FromResult(session.RecordExists ? session.State : null);

    public async Task<SessionState> SwitchBeatAsync(BeatKind kind, DateTimeOffset at)
    {
        var current = EnsureOpen();
        var beats = Timeline.Switch(current.Beats, kind, at);
        if (ReferenceEquals(beats, current.Beats))
        {
            return current;
        }

        session.State = current with { Beats = beats, Status = SessionStatus.Logging };
        await session.WriteStateAsync();
        return session.State;
    }

    /// <summary>R6: close the open beat, bill active time plus agent time when the snapshot says so.</summary>
    public async Task<SessionEnded> EndAsync(DateTimeOffset at)
    {
        var current = EnsureOpen();
        var beats = Timeline.Close(current.Beats, at);
        var stoppedAt = beats[^1].EndedAt!.Value;
        var billable = Timeline.Totals(beats, stoppedAt).BillableSeconds(current.BillAgentTime);

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

        session.State = current with
        {
            Beats = beats,
            StoppedAt = stoppedAt,
            Status = SessionStatus.Stopped,
            EntryId = entry?.Id,
        };
        await session.WriteStateAsync();
        return new SessionEnded(session.State, entry);
    }

    private SessionState EnsureOpen()
    {
        if (!session.RecordExists)
        {
            throw Refusal.NotFound("Session");
        }

        return session.State.IsStopped
            ? throw Refusal.Conflict("session_stopped", "The session is stopped; a stopped session cannot change (R7).")
            : session.State;
    }
}
