using System.Net;
using System.Text.Json;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>The whole core over real HTTP and real PostgreSQL, step by step as a freelancer would use it.</summary>
public class CoreFlowTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task Timer_sessions_focus_and_entries_follow_the_rules_end_to_end()
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await api.CreateClientAsync("Acme", "EUR", 100m);
        var agentic = await api.CreateProjectAsync(client, "Agentic Website", billAgentTime: true);
        var plain = await api.CreateProjectAsync(client, "Plain Consulting", rate: 150m);

        // A bare timer runs first.
        var timerRan = System.Diagnostics.Stopwatch.StartNew();
        var timer = (await api.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = plain, description = "email" }))
            .Expect(HttpStatusCode.Created)["timer"];
        await Task.Delay(1100);

        // R3: starting a session stops the timer at that instant and saves it (source timer, its rate locked in, R17).
        var sessionRan = System.Diagnostics.Stopwatch.StartNew();
        var started = (await api.PostAsync("/api/v1/sessions", new { project_name = "agentic", description = "build site" }))
            .Expect(HttpStatusCode.Created);
        var timerSeconds = timerRan.Elapsed.TotalSeconds;
        var s1 = started["session"];
        var s1Id = s1.Str("id");
        var timerEntry = started["stopped_timer_entry"];
        Assert.Equal(timer.Str("id"), timerEntry.Str("id"));
        Assert.Equal("timer", timerEntry.Str("source"));
        Assert.Equal(150m, timerEntry.GetProperty("rate").GetDecimal());
        Assert.Equal(timerEntry.Str("ended_at"), s1.Str("started_at"));
        // At least the 1.1 s it was left running; at most the time between the calls (a loaded machine adds to it).
        Assert.InRange(timerEntry.Long("duration_seconds"), 1, (long)Math.Ceiling(timerSeconds));
        Assert.Equal(JsonValueKind.Null, (await api.GetAsync("/api/v1/timer"))["timer"].ValueKind);

        // R2: a human's session starts active and takes focus.
        Assert.Equal("active", s1.CurrentBeat());
        Assert.True(s1.GetProperty("bill_agent_time").GetBoolean());
        await ExpectFocusAsync(api, "session", s1Id);

        // R1: beats switch without writing entries.
        await Task.Delay(1500);
        await api.BeatAsync(s1Id, "agent");
        await ExpectFocusAsync(api, null, null);
        await Task.Delay(1500);
        await api.BeatAsync(s1Id, "idle");
        await Task.Delay(1500);
        await api.BeatAsync(s1Id, "active");
        Assert.Single((await api.GetAsync("/api/v1/time-entries"))["time_entries"].EnumerateArray());

        // R5: turning Bill agent time off later does not re-bill the running session.
        (await api.SendAsync(HttpMethod.Patch, $"/api/v1/projects/{agentic}", new { bill_agent_time = false })).Expect(HttpStatusCode.OK);

        // R3: a second session takes focus; the first drops to idle by default.
        var s2Id = (await api.StartSessionAsync(plain, "review")).Str("id");
        Assert.Equal("idle", (await api.GetSessionAsync(s1Id)).CurrentBeat());
        await ExpectFocusAsync(api, "session", s2Id);

        // R3: focusing the first again, the second drops to agent when asked.
        await api.BeatAsync(s1Id, "active", previous: "agent");
        Assert.Equal("agent", (await api.GetSessionAsync(s2Id)).CurrentBeat());
        await ExpectFocusAsync(api, "session", s1Id);

        // R3: no timer while a session is active.
        (await api.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = plain, description = "x" }))
            .ExpectProblem(HttpStatusCode.Conflict, "session_active");

        await Task.Delay(1000);

        // R6: ending writes exactly one entry: active + agent (the snapshot said bill agent time), idle never.
        var ended1 = (await api.PostAsync($"/api/v1/sessions/{s1Id}/end")).Expect(HttpStatusCode.OK);
        var sessionSeconds = sessionRan.Elapsed.TotalSeconds;
        var stopped1 = ended1["session"];
        var entry1 = ended1["entry"];
        Assert.Equal("stopped", stopped1.Str("status"));
        Assert.True(stopped1.GetProperty("bill_agent_time").GetBoolean());
        AssertBilledExactlyFromBeats(stopped1, entry1, billAgentTime: true);
        // At least the waits between its beats: 1.5 s active, 1.5 s agent, 1 s active again (1.5 s idle not billed), less a
        // second of rounding; at most the session's whole time without that idle wait.
        Assert.InRange(entry1.Long("duration_seconds"), 4 - 1, (long)Math.Ceiling(sessionSeconds - 1.5));
        Assert.Equal(100m, entry1.GetProperty("rate").GetDecimal()); // R19: the client's default rate
        Assert.Equal("EUR", entry1.Str("currency"));
        Assert.Equal(s1Id, entry1.Str("session_id"));

        // R6 on a project that does not bill agent time: only active time counts.
        var ended2 = (await api.PostAsync($"/api/v1/sessions/{s2Id}/end")).Expect(HttpStatusCode.OK);
        Assert.False(ended2["session"].GetProperty("bill_agent_time").GetBoolean());
        Assert.True(ended2["session"].GetProperty("totals").Long("agent_seconds") >= 1);
        if (ended2["entry"].ValueKind != JsonValueKind.Null)
        {
            AssertBilledExactlyFromBeats(ended2["session"], ended2["entry"], billAgentTime: false);
        }

        // R6: no billable time, no entry, but the session is still listed as stopped.
        var s3Id = (await api.StartSessionAsync(plain, "nothing")).Str("id");
        await api.BeatAsync(s3Id, "idle");
        var ended3 = (await api.PostAsync($"/api/v1/sessions/{s3Id}/end")).Expect(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, ended3["entry"].ValueKind);
        var stoppedList = (await api.GetAsync("/api/v1/sessions?status=stopped"))["sessions"].EnumerateArray().Select(s => s.Str("id")).ToList();
        Assert.Contains(s3Id, stoppedList);
        Assert.Contains(s1Id, stoppedList);
        Assert.Empty((await api.GetAsync("/api/v1/sessions?status=open"))["sessions"].EnumerateArray());

        // R7: any change to a stopped session is refused, and it stays as it was.
        (await api.PostAsync($"/api/v1/sessions/{s1Id}/beat", new { kind = "active" })).ExpectProblem(HttpStatusCode.Conflict, "session_stopped");
        (await api.PostAsync($"/api/v1/sessions/{s1Id}/end")).ExpectProblem(HttpStatusCode.Conflict, "session_stopped");
        Assert.Equal(stopped1.GetProperty("beats").ToString(), (await api.GetSessionAsync(s1Id)).GetProperty("beats").ToString());

        // R5: a session started after the flip carries the new flag.
        var s4 = await api.StartSessionAsync(agentic, "later");
        Assert.False(s4.GetProperty("bill_agent_time").GetBoolean());
        (await api.PostAsync($"/api/v1/sessions/{s4.Str("id")}/end")).Expect(HttpStatusCode.OK);

        // The entries: timer, s1, and s2 when it had a whole billable second.
        var entries = (await api.GetAsync("/api/v1/time-entries"))["time_entries"].EnumerateArray().ToList();
        Assert.Contains(entries, e => e.Str("source") == "timer");
        Assert.Single(entries, e => e.GetProperty("session_id").ValueKind == JsonValueKind.String && e.Str("session_id") == s1Id);
        Assert.DoesNotContain(entries, e => e.GetProperty("session_id").ValueKind == JsonValueKind.String && e.Str("session_id") == s3Id);

        // The timeline tells the same story: start, each beat, stop.
        var events = (await api.GetAsync($"/api/v1/sessions/{s1Id}/timeline"))["events"].EnumerateArray().ToList();
        Assert.Equal("session_start", events[0].Str("type"));
        Assert.Equal("session_stop", events[^1].Str("type"));
        Assert.Equal(stopped1.GetProperty("beats").GetArrayLength() + 1, events.Count);
    }

    [Fact]
    public async Task The_timer_starts_stops_and_replaces_by_request() // R3, R17
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Timer work", rate: 80m);

        (await api.SendAsync(HttpMethod.Delete, "/api/v1/timer")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        var first = (await api.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_name = "timer", description = "a", tags = new[] { "deep" } }))
            .Expect(HttpStatusCode.Created)["timer"];
        (await api.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project, description = "b" }))
            .ExpectProblem(HttpStatusCode.Conflict, "timer_running");

        var replaced = (await api.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project, description = "b", replace = true }))
            .Expect(HttpStatusCode.Created);
        Assert.Equal(first.Str("id"), replaced["replaced_entry"].Str("id"));
        Assert.Equal("b", (await api.GetAsync("/api/v1/timer"))["timer"].Str("description"));
        await ExpectFocusAsync(api, "timer", replaced["timer"].Str("id"));

        var entry = (await api.SendAsync(HttpMethod.Delete, "/api/v1/timer")).Expect(HttpStatusCode.OK)["entry"];
        Assert.Equal(("timer", 80m, "b"), (entry.Str("source"), entry.GetProperty("rate").GetDecimal(), entry.Str("description")));
        Assert.Equal(JsonValueKind.Null, (await api.GetAsync("/api/v1/timer"))["timer"].ValueKind);
        Assert.Equal(2, (await api.GetAsync("/api/v1/time-entries?source=timer"))["time_entries"].GetArrayLength());
    }

    [Fact]
    public async Task Rates_are_locked_in_when_work_starts() // R19
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(rate: 100m), "Rates", rate: 90m);
        var session = (await api.StartSessionAsync(project)).Str("id");

        (await api.SendAsync(HttpMethod.Patch, $"/api/v1/projects/{project}", new { rate = 200m })).Expect(HttpStatusCode.OK);
        await Task.Delay(1050);
        var entry = (await api.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK)["entry"];

        Assert.Equal(90m, entry.GetProperty("rate").GetDecimal());
        var project2 = (await api.GetAsync($"/api/v1/projects/{project}"))["project"];
        Assert.Equal(200m, project2.GetProperty("effective_rate").GetDecimal());
    }

    [Fact]
    public async Task Manual_entries_take_start_and_end_or_a_duration() // R18
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(rate: 60m), "Backfill");

        var byEnd = (await api.PostAsync("/api/v1/time-entries", new
        {
            project_id = project,
            started_at = "2026-11-02T09:00:00Z",
            ended_at = "2026-11-02T10:30:00Z",
            description = "call",
        })).Expect(HttpStatusCode.Created)["time_entry"];
        var byDuration = (await api.PostAsync("/api/v1/time-entries", new
        {
            project_id = project,
            started_at = "2026-11-03T09:00:00+02:00",
            duration_seconds = 600,
            description = "notes",
            tags = new[] { "x" },
        })).Expect(HttpStatusCode.Created)["time_entry"];

        Assert.Equal((5400L, "manual", 60m), (byEnd.Long("duration_seconds"), byEnd.Str("source"), byEnd.GetProperty("rate").GetDecimal()));
        Assert.Equal(("2026-11-03T07:00:00.000Z", "2026-11-03T07:10:00.000Z"), (byDuration.Str("started_at"), byDuration.Str("ended_at")));

        var november2 = (await api.GetAsync("/api/v1/time-entries?from=2026-11-02T00:00:00Z&to=2026-11-03T00:00:00Z"))["time_entries"];
        Assert.Equal(byEnd.Str("id"), Assert.Single(november2.EnumerateArray()).Str("id"));

        (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-11-02T09:00:00Z", ended_at = "2026-11-02T08:00:00Z" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-11-02T09:00:00Z" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-11-02T09:00:00Z", duration_seconds = -5 }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
    }

    [Fact]
    public async Task Lists_page_with_an_opaque_cursor()
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Paging");
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await api.StartSessionAsync(project, $"s{i}")).Str("id"));
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = (await api.GetAsync($"/api/v1/sessions?limit=2{(cursor is null ? "" : "&cursor=" + cursor)}")).Expect(HttpStatusCode.OK);
            seen.AddRange(page["sessions"].EnumerateArray().Select(s => s.Str("id")));
            cursor = page["next_cursor"].GetString();
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Reverse(ids), seen);

        // Filters use the wire's snake_case names.
        var other = await api.CreateProjectAsync(await api.CreateClientAsync(), "Elsewhere");
        var elsewhere = (await api.StartSessionAsync(other)).Str("id");
        var filtered = (await api.GetAsync($"/api/v1/sessions?project_id={other}"))["sessions"].EnumerateArray().Select(s => s.Str("id"));
        Assert.Equal([elsewhere], filtered);
        (await api.GetAsync("/api/v1/sessions?cursor=garbage")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
    }

    private static async Task ExpectFocusAsync(ApiClient api, string? type, string? id)
    {
        var focus = (await api.GetAsync("/api/v1/me/focus")).Expect(HttpStatusCode.OK)["focus"];
        if (type is null)
        {
            Assert.Equal(JsonValueKind.Null, focus.ValueKind);
            return;
        }

        Assert.Equal((type, id), (focus.Str("type"), focus.Str("id")));
    }

    /// <summary>R6, R10: the entry bills the beats' exact milliseconds, rounded down once, over the session's bounds.</summary>
    private static void AssertBilledExactlyFromBeats(JsonElement session, JsonElement entry, bool billAgentTime)
    {
        long active = 0, agent = 0;
        foreach (var beat in session.GetProperty("beats").EnumerateArray())
        {
            var ms = (long)(DateTimeOffset.Parse(beat.Str("ended_at")) - DateTimeOffset.Parse(beat.Str("started_at"))).TotalMilliseconds;
            switch (beat.Str("kind"))
            {
                case "active": active += ms; break;
                case "agent": agent += ms; break;
            }
        }

        var billable = (active + (billAgentTime ? agent : 0)) / 1000;
        Assert.Equal(billable, entry.Long("duration_seconds"));
        Assert.Equal(billable, session.GetProperty("totals").Long("billable_seconds"));
        Assert.Equal(session.Str("started_at"), entry.Str("started_at"));
        Assert.Equal(session.Str("stopped_at"), entry.Str("ended_at"));
        Assert.Equal(session.Str("id"), entry.Str("session_id"));
        Assert.Equal(entry.Str("id"), session.Str("entry_id"));
    }
}
