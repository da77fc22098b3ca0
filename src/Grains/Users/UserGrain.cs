using Hourdini.Grains.Common;
using Hourdini.Grains.Entries;
using Hourdini.Grains.Hosting;
using Hourdini.Grains.Sessions;

namespace Hourdini.Grains.Users;

public sealed class UserGrain(
    IGrainContext context,
    IPersistentState<UserState> user,
    ITimeEntryLedger ledger,
    TimeProvider clock) : IUserGrain
{
    private readonly (Guid OrgId, Guid UserId) _id = GrainKeys.Parse(context.Key);

    public async Task<SessionStarted> StartSessionAsync(StartSession command)
    {
        var at = clock.UtcNowMs();
        var sessionId = Guid.CreateVersion7(at);
        var byHuman = command.AgentId is null;
        TimeEntry? timerEntry = null;

        if (byHuman)
        {
            // R2, R3: a human's session starts active, so it takes focus from the timer or another session.
            FocusRules.EnsureDemotion(command.Previous);
            timerEntry = StopTimerAt(at);
            await DemoteFocusedAsync(sessionId, command.Previous, at);
        }

        var session = await Session(sessionId).StartAsync(new SessionStart(
            sessionId,
            _id.OrgId,
            _id.UserId,
            command.AgentId,
            command.Project,
            command.Description,
            byHuman ? BeatKind.Active : BeatKind.Agent,
            at,
            command.Metadata));

        if (byHuman)
        {
            user.State = FocusRules.Focus(user.State, sessionId);
        }

        await user.WriteStateAsync();
        return new SessionStarted(session, timerEntry);
    }

    public async Task<SessionState> BeatAsync(Guid sessionId, BeatKind kind, BeatKind previous)
    {
        var at = clock.UtcNowMs();
        var target = Session(sessionId);
        var current = EnsureOpenAndMine(await target.GetAsync());

        SessionState result;
        if (kind == BeatKind.Active)
        {
            FocusRules.EnsureDemotion(previous);
            if (user.State.FocusedSessionId == sessionId)
            {
                return current;
            }

            StopTimerAt(at);
            await DemoteFocusedAsync(sessionId, previous, at);
            result = await target.SwitchBeatAsync(BeatKind.Active, at);
            user.State = FocusRules.Focus(user.State, sessionId);
        }
        else
        {
            result = await target.SwitchBeatAsync(kind, at);
            user.State = FocusRules.AfterLeaving(user.State, sessionId);
        }

        await user.WriteStateAsync();
        return result;
    }

    public async Task<SessionEnded> EndSessionAsync(Guid sessionId)
    {
        var at = clock.UtcNowMs();
        var target = Session(sessionId);
        EnsureOpenAndMine(await target.GetAsync());

        var ended = await target.EndAsync(at);
        user.State = FocusRules.AfterLeaving(user.State, sessionId);
        await user.WriteStateAsync();
        return ended;
    }

    public async Task<TimerStarted> StartTimerAsync(StartTimer command)
    {
        FocusRules.EnsureTimerMayStart(user.State, command.Replace);
        var at = clock.UtcNowMs();
        var replaced = StopTimerAt(at);

        var timer = new RunningTimer(
            Guid.CreateVersion7(at),
            command.Project.ProjectId,
            command.Description,
            command.Tags,
            at,
            command.Project.Rate,
            command.Project.Currency);
        user.State = user.State with { Timer = timer };
        await user.WriteStateAsync();
        return new TimerStarted(timer, replaced);
    }

    public async Task<TimeEntry> StopTimerAsync()
    {
        if (user.State.Timer is null)
        {
            throw Refusal.NotFound("A running timer");
        }

        var entry = StopTimerAt(clock.UtcNowMs())!;
        await user.WriteStateAsync();
        return entry;
    }

    /// <summary>Saves the running timer, if any, as an entry ending at <paramref name="at"/> (R3, R17).</summary>
    private TimeEntry? StopTimerAt(DateTimeOffset at)
    {
        if (user.State.Timer is not { } timer)
        {
            return null;
        }

        var endedAt = at > timer.StartedAt ? at : timer.StartedAt;
        var entry = new TimeEntry(
            Id: timer.Id,
            OrgId: _id.OrgId,
            UserId: _id.UserId,
            ProjectId: timer.ProjectId,
            AgentId: null,
            SessionId: null,
            Source: EntrySource.Timer,
            Description: timer.Description,
            StartedAt: timer.StartedAt,
            EndedAt: endedAt,
            DurationSeconds: (long)(endedAt - timer.StartedAt).TotalMilliseconds / 1000,
            Billable: true,
            Rate: timer.Rate,
            Currency: timer.Currency,
            Tags: timer.Tags,
            CreatedAt: endedAt);
        ledger.Record(entry);
        user.State = user.State with { Timer = null };
        return entry;
    }

    private async Task DemoteFocusedAsync(Guid newFocus, BeatKind previous, DateTimeOffset at)
    {
        if (FocusRules.SessionToDemote(user.State, newFocus) is { } demoted)
        {
            await Session(demoted).SwitchBeatAsync(previous, at);
        }
    }

    private SessionState EnsureOpenAndMine(SessionState? session)
    {
        if (session is null || session.UserId != _id.UserId)
        {
            throw Refusal.NotFound("Session");
        }

        return session.IsStopped
            ? throw Refusal.Conflict("session_stopped", "The session is stopped; a stopped session cannot change (R7).")
            : session;
    }

    private ISessionGrain Session(Guid sessionId) =>
        context.GrainFactory.GetGrain<ISessionGrain>(GrainKeys.For(_id.OrgId, sessionId));
}
