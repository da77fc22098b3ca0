using Hourdini.Grains.Agents;
using Hourdini.Grains.Common;
using Hourdini.Grains.Entries;
using Hourdini.Grains.Hosting;
using Hourdini.Grains.Sessions;

namespace Hourdini.Grains.Users;

public sealed class UserGrain(
    IGrainContext context,
    IPersistentState<UserState> user,
    ITimeEntryLedger ledger,
    IAgentInbox inbox,
    ITaskBoard board,
    IAgentPresence presence,
    TimeProvider clock) : IUserGrain
{
    private readonly (Guid OrgId, Guid UserId) _id = GrainKeys.Parse(context.Key);

    public async Task<SessionStarted> StartSessionAsync(StartSession command)
    {
        var at = clock.UtcNowMs();
        var sessionId = Guid.CreateVersion7(at);
        TimeEntry? timerEntry = null;
        var updates = AgentUpdates.None;

        if (command.AgentId is { } agentId)
        {
            // R8, R11: one open session per agent; R12: the start pulls the agent's updates.
            if (user.State.AgentSessions.ContainsKey(agentId))
            {
                throw Refusal.Conflict("agent_session_open", "This agent already has an open session; stop it before starting another (R8).");
            }

            updates = await inbox.PullAsync(_id.OrgId, agentId);
        }
        else
        {
            // R2, R3: a human's session starts active, so it takes focus from the timer or another session.
            FocusRules.EnsureDemotion(command.Previous);
            timerEntry = StopTimerAt(at);
            await DemoteFocusedAsync(sessionId, command.Previous, at);
        }

        // The id was minted just above: the new session's grain need not look for a stored state.
        var session = await context.GrainFactory.GetNewGrain<ISessionGrain>(GrainKeys.For(_id.OrgId, sessionId)).StartAsync(new SessionStart(
            sessionId,
            _id.OrgId,
            _id.UserId,
            command.AgentId,
            command.Project,
            command.Description,
            command.AgentId is null ? BeatKind.Active : BeatKind.Agent,
            at,
            $$"""{"pull_summary": {{updates.SummaryJson}}, "environment": {{command.EnvironmentJson}}}"""));

        user.State = command.AgentId is { } agent
            ? user.State with { AgentSessions = user.State.AgentSessions.Add(agent, sessionId) }
            : FocusRules.Focus(user.State, sessionId);
        await user.WriteStateAsync();
        return new SessionStarted(session, timerEntry, updates);
    }

    public async Task<SessionState> BeatAsync(Guid sessionId, BeatKind kind, BeatKind previous, Guid? agentId)
    {
        var at = clock.UtcNowMs();
        var target = Session(sessionId);
        var current = EnsureOpenAndMine(await target.GetAsync(), agentId);

        SessionState result;
        if (kind == BeatKind.Active)
        {
            FocusRules.EnsureDemotion(previous);
            if (user.State.FocusedSessionId == sessionId)
            {
                // Nothing moves, except an agent's lease: it was heard from (R15).
                return agentId is null ? current : await target.SwitchBeatAsync(BeatKind.Active, at, byAgent: true);
            }

            StopTimerAt(at);
            await DemoteFocusedAsync(sessionId, previous, at);
            result = await target.SwitchBeatAsync(BeatKind.Active, at, byAgent: agentId is not null);
            user.State = FocusRules.Focus(user.State, sessionId);
        }
        else
        {
            result = await target.SwitchBeatAsync(kind, at, byAgent: agentId is not null);
            var after = FocusRules.AfterLeaving(user.State, sessionId);
            if (ReferenceEquals(after, user.State))
            {
                // An unfocused session (an agent's, usually) left the user's state as it was: the session's version
                // and the check of the state this turn read guard the turn, with no write to the user's row.
                return result;
            }

            user.State = after;
        }

        await user.WriteStateAsync();
        return result;
    }

    public async Task<SessionEnded> EndSessionAsync(Guid sessionId, Guid? agentId)
    {
        var target = Session(sessionId);
        EnsureOpenAndMine(await target.GetAsync(), agentId);

        var ended = await target.EndAsync(clock.UtcNowMs(), StopReasons.Ended);
        user.State = Released(ended.Session);
        await user.WriteStateAsync();
        return ended;
    }

    public async Task<SessionEvent> LogAsync(Guid sessionId, string message, Guid? taskId, Guid? agentId)
    {
        var target = Session(sessionId);
        EnsureOpenAndMine(await target.GetAsync(), agentId);
        if (taskId is { } id && await board.GetAsync(_id.OrgId, id) is null)
        {
            throw Refusal.NotFound("Task");
        }

        // The user's own state is unchanged: the session's version guards this turn's write.
        return await target.LogAsync(message, taskId, clock.UtcNowMs(), byAgent: agentId is not null);
    }

    public async Task<AgentTask> ChangeTaskAsync(Guid taskId, TaskChange change, Guid? agentId)
    {
        var task = await board.GetAsync(_id.OrgId, taskId);
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
        board.Save(_id.OrgId, changed, reassigned: assignee != task.AssigneeAgentId);

        // R13: the status change joins the timeline of the session the caller is working in.
        var workingIn = agentId is { } agent ? user.State.AgentSessions.GetValueOrDefault(agent) : user.State.FocusedSessionId;
        if (change.Status is { } status && status != task.Status && workingIn is { } sessionId && sessionId != Guid.Empty)
        {
            await Session(sessionId).RecordTaskStatusAsync(taskId, status, at);
        }

        return changed;
    }

    /// <summary>The pull's own count check keeps it exactly-once across nodes; an empty pull writes nothing.</summary>
    public Task<AgentUpdates> PullUpdatesAsync(Guid agentId) => inbox.PullAsync(_id.OrgId, agentId);

    public async Task<SessionEnded?> AutoStopAsync(Guid sessionId, int leaseSeconds)
    {
        var target = Session(sessionId);
        var session = await target.GetAsync();
        if (session is not { AgentId: not null, IsStopped: false } || session.UserId != _id.UserId)
        {
            return null;
        }

        var lastHeard = await presence.LastHeardAsync(_id.OrgId, sessionId) ?? session.StartedAt;
        if (lastHeard.AddSeconds(leaseSeconds) > clock.GetUtcNow())
        {
            return null;
        }

        // Commits only if the agent was not heard from again meanwhile; otherwise the retry sees the renewal.
        presence.ExpectLastHeard(_id.OrgId, sessionId, lastHeard);
        var ended = await target.EndAsync(lastHeard, StopReasons.AutoStopped);
        user.State = Released(ended.Session);
        await user.WriteStateAsync();
        return ended;
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

    /// <summary>After a session ends, it holds neither the user's focus nor its agent's one open slot.</summary>
    private UserState Released(SessionState ended)
    {
        var state = FocusRules.AfterLeaving(user.State, ended.Id);
        return ended.AgentId is { } agent && state.AgentSessions.GetValueOrDefault(agent) == ended.Id
            ? state with { AgentSessions = state.AgentSessions.Remove(agent) }
            : state;
    }

    private async Task DemoteFocusedAsync(Guid newFocus, BeatKind previous, DateTimeOffset at)
    {
        if (FocusRules.SessionToDemote(user.State, newFocus) is { } demoted)
        {
            await Session(demoted).SwitchBeatAsync(previous, at);
        }
    }

    /// <summary>The session must be this user's and, when an agent calls, that agent's own.</summary>
    private SessionState EnsureOpenAndMine(SessionState? session, Guid? agentId)
    {
        if (session is null || session.UserId != _id.UserId || (agentId is not null && session.AgentId != agentId))
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
