using System.Diagnostics;
using System.Text.Json;

namespace Hourdini.Load;

/// <summary>
/// The mix (docs/BENCHMARKS.md). An agent starts a session, then per step: 50 % log, 20 % beat (agent ⇄ idle),
/// 22 % heartbeat, 5 % pull its updates, 3 % a malformed beat that must be refused with 422 (the one refusal the
/// mix asks for); after about <see cref="RunOptions.StepsPerSession"/> steps (see <see cref="SessionLength"/>) it ends
/// the session and starts another.
/// A person (the agents' owner) acts about once a second, at human speed, with two sessions: 50 % focus the other one, 30 % log to the focused one, 20 %
/// leave it idle and run a timer, which the next step stops before focusing a session again.
/// </summary>
public static class Simulation
{
    public static readonly string[] DurableKinds = ["start", "beat", "focus", "log", "end", "timer_start", "timer_stop"];

    public static async Task RunAgentAsync(Api api, Tenant tenant, Guid agentId, RunOptions options, Ledger ledger, Pacer pacer, Random random, CancellationToken stop)
    {
        Guid? open = null;
        try
        {
            await AgentStepsAsync(api, tenant, agentId, options, ledger, pacer, random, stop, session => open = session);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        // After the window the run leaves nothing open, so the next run starts clean and every end is verified.
        if (open is { } last)
        {
            await EndAsync(api, ledger, last, Stopwatch.GetTimestamp());
        }
    }

    private static async Task AgentStepsAsync(
        Api api, Tenant tenant, Guid agentId, RunOptions options, Ledger ledger, Pacer pacer, Random random, CancellationToken stop, Action<Guid?> opened)
    {
        var serial = 0;
        var first = true;
        Guid? unended = null;
        while (!stop.IsCancellationRequested)
        {
            // An end that failed (a node died, the database restarted) is retried before the next start, as a
            // real agent would: a 409 says the first try did end it.
            if (unended is { } retry)
            {
                if (!await EndAsync(api, ledger, retry, await pacer.NextAsync(stop), again: true))
                {
                    await Task.Delay(100, stop);
                    continue;
                }

                unended = null;
                opened(null);
            }

            var started = await api.CallAsync("start", HttpMethod.Post, "/api/v1/sessions",
                $$"""{"project_id":"{{tenant.ProjectId}}","description":"load run","environment":{"tool":"load"} }""", await pacer.NextAsync(stop));
            if (started is not { } s)
            {
                await Task.Delay(100, stop);
                continue;
            }

            var session = s.GetProperty("session").GetProperty("id").GetGuid();
            ledger.StartedSessions.Add(session);
            opened(session);
            var kind = "agent";
            var steps = SessionLength(options.StepsPerSession, first, random);
            first = false;
            for (var step = 0; (steps == 0 || step < steps) && !stop.IsCancellationRequested; step++)
            {
                var due = await pacer.NextAsync(stop);
                var roll = random.Next(100);
                if (roll < 50)
                {
                    var message = $"{agentId:N} {serial++}";
                    var logged = await api.CallAsync("log", HttpMethod.Post, $"/api/v1/sessions/{session}/events",
                        $$"""{"type":"log","message":"{{message}}"}""", due);
                    if (logged is { } l)
                    {
                        ledger.Logs.Add((session, l.GetProperty("event").GetProperty("seq").GetInt32(), message));
                    }
                }
                else if (roll < 70)
                {
                    kind = kind == "agent" ? "idle" : "agent";
                    Beat(ledger, session, kind, await api.CallAsync("beat", HttpMethod.Post, $"/api/v1/sessions/{session}/beat", $$"""{"kind":"{{kind}}"}""", due));
                }
                else if (roll < 92)
                {
                    await api.CallAsync("heartbeat", HttpMethod.Post, $"/api/v1/sessions/{session}/heartbeat", null, due);
                }
                else if (roll < 97)
                {
                    await api.CallAsync("pull", HttpMethod.Get, $"/api/v1/agents/{agentId}/updates", null, due);
                }
                else
                {
                    await api.CallAsync("refused", HttpMethod.Post, $"/api/v1/sessions/{session}/beat", """{"kind":"asleep"}""", due, expected: 422);
                }
            }

            if (!stop.IsCancellationRequested)
            {
                if (await EndAsync(api, ledger, session, await pacer.NextAsync(stop)))
                {
                    opened(null);
                }
                else
                {
                    unended = session;
                }
            }
        }
    }

    /// <summary>
    /// Steps in one agent session: uniform from half to one and a half times <paramref name="mean"/>, so sessions
    /// do not all end (and start again) in the same second. An agent's first session is as if it were already
    /// under way when the run began (uniform from 1 to <paramref name="mean"/>): the fleet is in its steady
    /// state, not in lockstep. 0 keeps every session open.
    /// </summary>
    public static int SessionLength(int mean, bool first, Random random) => mean <= 0 ? 0
        : first ? random.Next(1, mean + 1)
        : random.Next(Math.Max(1, mean / 2), mean + mean / 2 + 1);

    private static async Task<bool> EndAsync(Api api, Ledger ledger, Guid session, Due due, bool again = false)
    {
        if (await api.CallAsync("end", HttpMethod.Post, $"/api/v1/sessions/{session}/end", null, due, expected: again ? 409 : null) is not { } ended)
        {
            return false;
        }

        if (ended.ValueKind == JsonValueKind.Undefined)
        {
            return true; // a retry refused with 409: the first try ended it (its entry is not known here)
        }

        var entry = ended.GetProperty("entry");
        ledger.EndedSessions.Add((session, entry.ValueKind == JsonValueKind.Null ? null : entry.GetProperty("id").GetGuid()));
        return true;
    }

    public static async Task RunPersonAsync(Api api, Tenant tenant, Ledger ledger, Pacer pacer, Random random, CancellationToken stop)
    {
        var sessions = new Guid[2];
        var timer = false;
        try
        {
            await PersonStepsAsync(api, tenant, ledger, pacer, random, stop, sessions, running => timer = running);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        if (timer && await api.CallAsync("timer_stop", HttpMethod.Delete, "/api/v1/timer", null, Stopwatch.GetTimestamp()) is { } t)
        {
            ledger.TimerEntries.Add(t.GetProperty("entry").GetProperty("id").GetGuid());
        }

        foreach (var session in sessions.Where(s => s != Guid.Empty))
        {
            await EndAsync(api, ledger, session, Stopwatch.GetTimestamp());
        }
    }

    private static async Task PersonStepsAsync(
        Api api, Tenant tenant, Ledger ledger, Pacer pacer, Random random, CancellationToken stop, Guid[] sessions, Action<bool> timerRunning)
    {
        for (var i = 0; i < sessions.Length && !stop.IsCancellationRequested;)
        {
            var started = await api.CallAsync("start", HttpMethod.Post, "/api/v1/sessions",
                $$"""{"project_id":"{{tenant.ProjectId}}","description":"client work {{i}}"}""", await pacer.NextAsync(stop));
            if (started is { } s)
            {
                sessions[i++] = s.GetProperty("session").GetProperty("id").GetGuid();
                ledger.StartedSessions.Add(sessions[i - 1]);
            }
        }

        var focused = 1;
        var timer = false;
        var serial = 0;
        timerRunning(false);
        while (!stop.IsCancellationRequested)
        {
            var due = await pacer.NextAsync(stop);
            var roll = random.Next(100);
            if (timer)
            {
                var stopped = await api.CallAsync("timer_stop", HttpMethod.Delete, "/api/v1/timer", null, due);
                if (stopped is { } t)
                {
                    ledger.TimerEntries.Add(t.GetProperty("entry").GetProperty("id").GetGuid());
                    timerRunning(timer = false);
                    Beat(ledger, sessions[focused], "active", await api.CallAsync("focus", HttpMethod.Post,
                        $"/api/v1/sessions/{sessions[focused]}/beat", """{"kind":"active"}""", await pacer.NextAsync(stop)));
                }
            }
            else if (roll < 50)
            {
                focused = 1 - focused;
                Beat(ledger, sessions[focused], "active", await api.CallAsync("focus", HttpMethod.Post,
                    $"/api/v1/sessions/{sessions[focused]}/beat", """{"kind":"active","previous":"idle"}""", due));
            }
            else if (roll < 80)
            {
                var message = $"{tenant.UserId:N} {serial++}";
                var logged = await api.CallAsync("log", HttpMethod.Post, $"/api/v1/sessions/{sessions[focused]}/events",
                    $$"""{"type":"log","message":"{{message}}"}""", due);
                if (logged is { } l)
                {
                    ledger.Logs.Add((sessions[focused], l.GetProperty("event").GetProperty("seq").GetInt32(), message));
                }
            }
            else
            {
                Beat(ledger, sessions[focused], "idle", await api.CallAsync("beat", HttpMethod.Post,
                    $"/api/v1/sessions/{sessions[focused]}/beat", """{"kind":"idle"}""", due));
                var started = await api.CallAsync("timer_start", HttpMethod.Put, "/api/v1/timer",
                    $$"""{"project_id":"{{tenant.ProjectId}}","description":"call with the client"}""", await pacer.NextAsync(stop));
                timerRunning(timer = started is not null);
            }
        }
    }

    private static void Beat(Ledger ledger, Guid session, string kind, JsonElement? answer)
    {
        if (answer is { } a && a.GetProperty("session").GetProperty("current_beat") is { ValueKind: JsonValueKind.Object } beat
            && beat.GetProperty("kind").GetString() == kind)
        {
            ledger.Beats.Add((session, kind, beat.GetProperty("since").GetDateTimeOffset().UtcDateTime));
        }
    }
}
