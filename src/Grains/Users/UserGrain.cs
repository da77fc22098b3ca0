using Hourdini.Grains.Agents;
using Hourdini.Grains.Common;
using Hourdini.Grains.Entries;
using Hourdini.Grains.Sessions;
using Orleans.Runtime;

namespace Hourdini.Grains.Users;

/// <summary>
/// A user's timer and focus (R3, R17). A turn that moves the focus writes in this order, each write its own transaction:
/// the timer stops (with its entry), the focused session is demoted, the new one is promoted. Every moment in between
/// has at most one active beat and no timer beside it, and the database refuses any other order (unique index,
/// exclusion constraint, timer trigger). Focus and agent sessions are read from the session rows when this grain
/// activates, so a turn that failed part way leaves this activation to be dropped and nothing to repair.
/// </summary>
/// <remarks>
/// Placed in the silo of the node the user's first call reaches (nginx keeps a caller on one node), so a user's calls
/// and the session grains it starts are local calls there.
/// </remarks>
[Orleans.Placement.PreferLocalPlacement]
public sealed class UserGrain(
    [PersistentState("user", StorageNames.Tracking)] IPersistentState<UserState> user,
    ITimeEntryLedger ledger,
    IPendingRows rows,
    ITaskBoard board,
    IAgentInbox inbox,
    ITurnSteps steps,
    TimeProvider clock) : Grain, IUserGrain
{
    private (Guid OrgId, Guid UserId)? _id;

    /// <summary>The grain's key, parsed once per activation.</summary>
    private (Guid OrgId, Guid UserId) Id => _id ??= GrainKeys.Parse(this.GetPrimaryKeyString());

    public Task<SessionStarted> StartSessionAsync(StartSession command) => Turn(async () =>
    {
        var at = clock.UtcNowMs();

        // Derived from the request's Idempotency-Key when it has one: a retry after a crash finds the session it started.
        var sessionId = IdempotentRequest.NewId(at, "session");
        TimeEntry? timerEntry = null;

        if (command.AgentId is { } agentId)
        {
            // R8, R11: one open session per agent (the database's unique index backs this up). The agent's open session
            // may be this very request's, started by a run that died before answering: the start below then answers.
            if (user.State.AgentSessions.TryGetValue(agentId, out var open) && open != sessionId)
            {
                await ForgetIfSettledAsync(open, mustBeActive: false);
            }

            if (user.State.AgentSessions.TryGetValue(agentId, out open) && open != sessionId)
            {
                throw Refusal.Conflict("agent_session_open", "This agent already has an open session; stop it before starting another.");
            }
        }
        else
        {
            // R2, R3: a human's session starts active, so it takes focus from the timer or another session.
            FocusRules.EnsureDemotion(command.Previous);
            timerEntry = await StopTimerFirstAsync(at);
            await DemoteFocusedAsync(sessionId, command.Previous, at);
        }

        var (orgId, userId) = Id;
        var opened = await Session(sessionId).StartAsync(new SessionStart(
            orgId,
            userId,
            command.AgentId,
            command.Project,
            command.Description,
            command.AgentId is null ? BeatKind.Active : BeatKind.Agent,
            at,
            command.EnvironmentJson));
        if (command.AgentId is null)
        {
            steps.Reached(TurnStep.FocusPromoted);
        }

        user.State = command.AgentId is { } agent
            ? user.State with { AgentSessions = user.State.AgentSessions.SetItem(agent, sessionId) }
            : FocusRules.Focus(user.State, sessionId);
        return new SessionStarted(opened.Session, timerEntry, opened.Updates);
    });

    public Task<SessionState> BeatAsync(Guid sessionId, BeatKind kind, BeatKind previous, Guid? agentId) => Turn(async () =>
    {
        // R21: the gateway refuses this first; here it is refused again before the timer or the focus can move.
        kind.EnsurePersonDrives(agentId);
        var at = clock.UtcNowMs();
        var target = Session(sessionId);
        var caller = Caller(agentId);
        if (kind != BeatKind.Active)
        {
            var left = await target.SwitchBeatAsync(caller, kind, at);
            user.State = FocusRules.AfterLeaving(user.State, sessionId);
            return left;
        }

        FocusRules.EnsureDemotion(previous);
        if (user.State.FocusedSessionId == sessionId)
        {
            // Nothing moves, except an agent's lease: it was heard from (R15).
            return await target.SwitchBeatAsync(caller, BeatKind.Active, at);
        }

        // Refuse before anything moves: the session must be the caller's and open.
        EnsureOpenAndMine(await target.GetAsync(), agentId);
        await StopTimerFirstAsync(at);
        await DemoteFocusedAsync(sessionId, previous, at);
        var promoted = await target.SwitchBeatAsync(caller, BeatKind.Active, at);
        steps.Reached(TurnStep.FocusPromoted);
        user.State = FocusRules.Focus(user.State, sessionId);
        return promoted;
    });

    public Task<SessionEnded> EndSessionAsync(Guid sessionId, Guid? agentId) => Turn(async () =>
    {
        SessionEnded ended;
        try
        {
            ended = await Session(sessionId).EndAsync(Caller(agentId), clock.UtcNowMs());
        }
        catch (Refusal stopped) when (stopped.Code == "session_stopped")
        {
            await ForgetIfSettledAsync(sessionId, mustBeActive: false);
            throw;
        }

        user.State = Released(ended.Session);
        return ended;
    });

    public Task<AgentTask> ChangeTaskAsync(Guid taskId, TaskChange change, Guid? agentId) => Turn(async () =>
    {
        var (orgId, _) = Id;
        var task = await board.GetAsync(orgId, taskId);
        if (task is null || (agentId is not null && task.AssigneeAgentId != agentId))
        {
            throw Refusal.NotFound("Task");
        }

        if (agentId is not null && !change.OnlyStatus)
        {
            throw Refusal.Forbidden("An agent may change only the status of tasks assigned to it.", "agent_not_allowed");
        }

        var at = clock.UtcNowMs();
        var assignee = change.Unassign ? null : change.AssigneeAgentId ?? task.AssigneeAgentId;
        var changed = task with
        {
            Title = change.Title ?? task.Title,
            Status = change.Status ?? task.Status,
            AssigneeAgentId = assignee,
            UpdatedAt = at,
        };
        if (changed with { UpdatedAt = task.UpdatedAt } == task)
        {
            return task; // nothing to change: the task as it is, with nothing written (a repeated update is idempotent)
        }
        var reassigned = assignee != task.AssigneeAgentId;

        // R13: a status change joins the timeline of the session the caller is working in, in the same write as the task.
        var workingIn = agentId is { } agent ? user.State.AgentSessions.GetValueOrDefault(agent) : user.State.FocusedSessionId;
        if (change.Status is { } status && status != task.Status && workingIn is { } sessionId && sessionId != Guid.Empty)
        {
            try
            {
                await Session(sessionId).RecordTaskChangeAsync(changed, reassigned, at);
                return changed;
            }
            catch (Refusal gone) when (gone.Code is "session_stopped" or "not_found")
            {
                // The session ended meanwhile (a late commit): the task changes all the same, with no timeline to join.
                await ForgetIfSettledAsync(sessionId, mustBeActive: false);
            }
        }

        board.Save(orgId, changed, reassigned);
        rows.Remember(changed);
        await rows.SaveAsync();
        return changed;
    });

    /// <summary>The pull's own count check keeps it exactly-once; an empty pull writes nothing.</summary>
    public Task<AgentUpdates> PullUpdatesAsync(Guid agentId) => Turn(async () =>
    {
        var updates = await inbox.PullAsync(Id.OrgId, agentId);
        rows.Remember(updates);
        await rows.SaveAsync();
        return updates;
    });

    public Task<SessionEnded?> AutoStopAsync(Guid sessionId, int leaseSeconds) => Turn(async () =>
    {
        var ended = await Session(sessionId).AutoStopAsync(leaseSeconds);
        if (ended is not null)
        {
            user.State = Released(ended.Session);
        }

        return ended;
    });

    public Task<TimerStarted> StartTimerAsync(StartTimer command) => Turn(async () =>
    {
        if (user.State.FocusedSessionId is { } focused)
        {
            await ForgetIfSettledAsync(focused, mustBeActive: true);
        }

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
        var started = new TimerStarted(timer, replaced);
        rows.Remember(started);
        await user.WriteStateAsync();
        return started;
    });

    public Task<TimeEntry> StopTimerAsync() => Turn(async () =>
    {
        if (user.State.Timer is null)
        {
            throw Refusal.NotFound("A running timer");
        }

        var entry = StopTimerAt(clock.UtcNowMs())!;
        rows.Remember(entry);
        await user.WriteStateAsync();
        return entry;
    });

    /// <summary>
    /// Runs one turn. A refusal changes nothing. Any other failure may have left some of the turn's writes committed and
    /// others not, or this activation's memory ahead of the database: the activation goes, and the next call reads
    /// the user's focus afresh from the session rows.
    /// </summary>
    private async Task<T> Turn<T>(Func<Task<T>> turn)
    {
        try
        {
            return await turn();
        }
        catch (Exception error) when (error is not Refusal)
        {
            this.DeactivateOnIdle();
            throw;
        }
    }

    /// <summary>Step 1 of a focus change: the running timer, if any, is saved as an entry ending at <paramref name="at"/> (R3, R17).</summary>
    /// <remarks>
    /// Run again for a request whose first run stopped the timer and then crashed, it finds no timer and answers with the
    /// entry that run saved; a timer running now is stopped as ever, whoever started it.
    /// </remarks>
    private async Task<TimeEntry?> StopTimerFirstAsync(DateTimeOffset at)
    {
        if (StopTimerAt(at) is not { } entry)
        {
            return rows.TryRecalled<TimeEntry>(TurnStep.TimerStopped, out var earlier) ? earlier : null;
        }

        rows.Remember(entry, TurnStep.TimerStopped);
        await user.WriteStateAsync();
        steps.Reached(TurnStep.TimerStopped);
        return entry;
    }

    /// <summary>Step 2 of a focus change: the focused session drops to <paramref name="previous"/> before another is promoted.</summary>
    /// <remarks>
    /// A focused session that turns out to be stopped, gone or no longer active does not hold focus: a write this
    /// activation's predecessor gave up on (a call that timed out) may have committed after this activation read its
    /// state. Such a session is left as it is.
    /// </remarks>
    private async Task DemoteFocusedAsync(Guid newFocus, BeatKind previous, DateTimeOffset at)
    {
        if (FocusRules.SessionToDemote(user.State, newFocus) is { } demoted)
        {
            try
            {
                await Session(demoted).DemoteAsync(Caller(null), previous, at);
            }
            catch (Refusal gone) when (gone.Code is "session_stopped" or "not_found")
            {
                // Not focused any more: nothing to demote.
            }

            user.State = FocusRules.AfterLeaving(user.State, demoted);
            steps.Reached(TurnStep.FocusDemoted);
        }
    }

    /// <summary>
    /// The focus or agent slot this activation holds, checked against the session when it would refuse the caller: a
    /// session that is stopped, or no longer active, is dropped from this grain's memory instead (see <see cref="DemoteFocusedAsync"/>).
    /// </summary>
    private async Task ForgetIfSettledAsync(Guid sessionId, bool mustBeActive)
    {
        var session = await Session(sessionId).GetAsync();
        if (session is null)
        {
            user.State = FocusRules.AfterLeaving(user.State, sessionId);
        }
        else if (session.IsStopped)
        {
            user.State = Released(session);
        }
        else if (mustBeActive && session.Beats[^1].Kind != BeatKind.Active)
        {
            user.State = FocusRules.AfterLeaving(user.State, sessionId);
        }
    }

    /// <summary>Saves the running timer, if any, as an entry staged with the next write of this grain (R17).</summary>
    private TimeEntry? StopTimerAt(DateTimeOffset at)
    {
        if (user.State.Timer is not { } timer)
        {
            return null;
        }

        var (orgId, userId) = Id;
        var endedAt = at > timer.StartedAt ? at : timer.StartedAt;
        var entry = new TimeEntry(
            Id: timer.Id,
            OrgId: orgId,
            UserId: userId,
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

    /// <summary>After a session ends, it holds neither the user's focus nor its agent's one open slot.</summary>
    private UserState Released(SessionState ended)
    {
        var state = FocusRules.AfterLeaving(user.State, ended.Id);
        return ended.AgentId is { } agent && state.AgentSessions.GetValueOrDefault(agent) == ended.Id
            ? state with { AgentSessions = state.AgentSessions.Remove(agent) }
            : state;
    }

    /// <summary>The session must be this user's and, when an agent calls, that agent's own.</summary>
    private SessionState EnsureOpenAndMine(SessionState? session, Guid? agentId)
    {
        if (session is null || session.UserId != Id.UserId || (agentId is not null && session.AgentId != agentId))
        {
            throw Refusal.NotFound("Session");
        }

        return session.IsStopped
            ? throw Refusal.Conflict("session_stopped", "The session is stopped; a stopped session cannot change.")
            : session;
    }

    private SessionCaller Caller(Guid? agentId) => new(Id.UserId, agentId);

    private ISessionGrain Session(Guid sessionId) => GrainFactory.GetGrain<ISessionGrain>(GrainKeys.For(Id.OrgId, sessionId));
}
