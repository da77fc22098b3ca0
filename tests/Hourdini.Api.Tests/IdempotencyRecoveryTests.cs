using System.Net;
using System.Text.Json;
using Hourdini.Grains.Housekeeping;
using Hourdini.Grains.Users;
using Hourdini.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Hourdini.Api.Tests;

/// <summary>
/// API.md, "Idempotency-Key", after a crash (issue 24, item 1): a retry with the same key returns the committed answer,
/// or runs the request once if nothing committed; a claim that can no longer be running lapses; keys go after 24 h.
/// A node that dies after its write committed and before its answer was stored leaves the key claimed, unanswered: each
/// test puts the database in exactly that state (the answer dropped, the lease run out), as <c>deploy/reliability.sh</c>'s
/// node crash does with a real kill -9, then retries.
/// </summary>
public sealed class IdempotencyRecoveryTests : IAsyncLifetime
{
    private readonly CrashAt _crash = new();
    private HourdiniServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = new HourdiniServer { ConfigureServices = services => services.AddSingleton<ITurnSteps>(_crash) };
        _server.Settings["Hourdini:Limits:IdempotencyClaimLease"] = "00:00:30";
        await _server.InitializeAsync();
    }

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task A_session_start_whose_answer_was_lost_answers_the_same_on_retry_and_starts_one_session()
    {
        var (pat, project) = await PersonAsync();
        var timer = (await pat.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project })).Expect(HttpStatusCode.Created);
        var body = new { project_id = project, description = "lost answer" };

        var first = (await pat.SendAsync(HttpMethod.Post, "/api/v1/sessions", body, "start-1")).Expect(HttpStatusCode.Created);
        await LoseAnswerAsync("start-1");
        var retry = (await pat.SendAsync(HttpMethod.Post, "/api/v1/sessions", body, "start-1")).Expect(HttpStatusCode.Created);

        Assert.Equal(first["session"].Str("id"), retry["session"].Str("id"));
        Assert.Equal(first["stopped_timer_entry"].Str("id"), retry["stopped_timer_entry"].Str("id"));
        Assert.Equal(first["session"].GetProperty("beats").ToString(), retry["session"].GetProperty("beats").ToString());
        Assert.Null(retry.Headers.Contains("Idempotent-Replayed") ? "replayed" : null); // rebuilt, not the stored copy
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM sessions WHERE description = 'lost answer'"));
        Assert.Equal(1L, await CountAsync($"SELECT count(*) FROM time_entries WHERE id = '{timer["timer"].Str("id")}'"));
    }

    [Fact]
    public async Task A_crash_after_the_timer_stopped_is_recovered_by_the_retry_which_starts_the_session_once()
    {
        var (pat, project) = await PersonAsync();
        var timer = (await pat.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project })).Expect(HttpStatusCode.Created);
        var body = new { project_id = project, description = "crash mid-start" };

        _crash.At = TurnStep.TimerStopped;
        (await pat.SendAsync(HttpMethod.Post, "/api/v1/sessions", body, "start-2")).ExpectProblem(HttpStatusCode.InternalServerError, "internal_error");
        var retry = (await pat.SendAsync(HttpMethod.Post, "/api/v1/sessions", body, "start-2")).Expect(HttpStatusCode.Created);

        // The answer is the whole request's: the timer the first run stopped, and the session the retry started.
        Assert.Equal(timer["timer"].Str("id"), retry["stopped_timer_entry"].Str("id"));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM sessions WHERE description = 'crash mid-start'"));
        Assert.Equal("active", retry["session"].CurrentBeat());
    }

    [Fact]
    public async Task An_agents_start_whose_answer_was_lost_still_hands_over_the_tasks_it_pulled()
    {
        var (pat, project) = await PersonAsync();
        var (agentId, agent) = await pat.CreateAgentAsync();
        (await pat.PostAsync($"/api/v1/projects/{project}/tasks", new { title = "Write the parser", assignee_agent_id = agentId }))
            .Expect(HttpStatusCode.Created);

        var first = (await agent.SendAsync(HttpMethod.Post, "/api/v1/sessions", new { project_id = project }, "agent-start")).Expect(HttpStatusCode.Created);
        await LoseAnswerAsync("agent-start");
        var retry = (await agent.SendAsync(HttpMethod.Post, "/api/v1/sessions", new { project_id = project }, "agent-start")).Expect(HttpStatusCode.Created);

        Assert.Equal(first["session"].Str("id"), retry["session"].Str("id"));
        Assert.Equal("Write the parser", Assert.Single(retry["updates"].GetProperty("tasks").EnumerateArray()).Str("title"));
    }

    [Fact]
    public async Task A_log_and_an_end_whose_answers_were_lost_are_recorded_once_and_answered_again()
    {
        var (pat, project) = await PersonAsync();
        var session = (await pat.StartSessionAsync(project)).Str("id");

        var logged = (await pat.SendAsync(HttpMethod.Post, $"/api/v1/sessions/{session}/events", new { type = "log", message = "once" }, "log-1"))
            .Expect(HttpStatusCode.Created);
        await LoseAnswerAsync("log-1");
        var relogged = (await pat.SendAsync(HttpMethod.Post, $"/api/v1/sessions/{session}/events", new { type = "log", message = "once" }, "log-1"))
            .Expect(HttpStatusCode.Created);
        Assert.Equal(logged.Body.ToString(), relogged.Body.ToString());
        Assert.Equal(1L, await CountAsync($"SELECT count(*) FROM session_events WHERE session_id = '{session}' AND type = 'log'"));

        var ended = (await pat.SendAsync(HttpMethod.Post, $"/api/v1/sessions/{session}/end", null, "end-1")).Expect(HttpStatusCode.OK);
        await LoseAnswerAsync("end-1");
        var reended = (await pat.SendAsync(HttpMethod.Post, $"/api/v1/sessions/{session}/end", null, "end-1")).Expect(HttpStatusCode.OK);
        Assert.Equal(ended["entry"].ToString(), reended["entry"].ToString()); // the entry, or none for a session under a second
        Assert.Equal(ended["session"].GetProperty("stopped_at").ToString(), reended["session"].GetProperty("stopped_at").ToString());
        Assert.Equal(1L, await CountAsync($"SELECT count(*) FROM session_events WHERE session_id = '{session}' AND type = 'session_stop'"));
    }

    [Theory]
    [InlineData("/api/v1/clients", "clients", "{\"name\":\"Lost Ltd\",\"currency\":\"EUR\",\"default_rate\":90}", "client")]
    [InlineData("/api/v1/time-entries", "time_entries", "{\"project_id\":\"{project}\",\"started_at\":\"2026-01-05T09:00:00Z\",\"duration_seconds\":600,\"description\":\"lost\"}", "time_entry")]
    [InlineData("/api/v1/projects/{project}/tasks", "tasks", "{\"title\":\"lost\"}", "task")]
    public async Task A_create_whose_answer_was_lost_creates_once_and_answers_with_what_it_created(string path, string table, string body, string field)
    {
        var (pat, project) = await PersonAsync();
        path = path.Replace("{project}", project);
        body = body.Replace("{project}", project);
        var key = $"create-{table}";

        var first = (await pat.SendAsync(HttpMethod.Post, path, body, key)).Expect(HttpStatusCode.Created);
        await LoseAnswerAsync(key);
        var retry = (await pat.SendAsync(HttpMethod.Post, path, body, key)).Expect(HttpStatusCode.Created);

        Assert.Equal(first[field].Str("id"), retry[field].Str("id"));
        Assert.Equal(1L, await CountAsync($"SELECT count(*) FROM {table} WHERE id = '{first[field].Str("id")}'"));
    }

    [Fact]
    public async Task An_agent_created_again_after_a_lost_answer_is_one_agent_whose_new_secret_works()
    {
        var (pat, _) = await PersonAsync();
        var first = (await pat.SendAsync(HttpMethod.Post, "/api/v1/agents", new { name = "lost" }, "agent-1")).Expect(HttpStatusCode.Created);
        await LoseAnswerAsync("agent-1");
        var retry = (await pat.SendAsync(HttpMethod.Post, "/api/v1/agents", new { name = "lost" }, "agent-1")).Expect(HttpStatusCode.Created);

        Assert.Equal(first["agent"].Str("id"), retry["agent"].Str("id"));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM agents WHERE name = 'lost'"));
        using var agent = ApiClient.WithToken(_server.BaseAddress, retry["secret"].GetString()!);
        (await agent.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_delete_whose_answer_was_lost_answers_204_again()
    {
        var (pat, project) = await PersonAsync();
        var entry = (await pat.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-01-05T09:00:00Z", duration_seconds = 60 }))
            .Expect(HttpStatusCode.Created)["time_entry"].Str("id");

        (await pat.SendAsync(HttpMethod.Delete, $"/api/v1/time-entries/{entry}", null, "delete-1")).Expect(HttpStatusCode.NoContent);
        await LoseAnswerAsync("delete-1");

        (await pat.SendAsync(HttpMethod.Delete, $"/api/v1/time-entries/{entry}", null, "delete-1")).Expect(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task A_claim_still_within_its_lease_answers_409_with_when_to_retry()
    {
        var (pat, project) = await PersonAsync();
        (await pat.SendAsync(HttpMethod.Post, "/api/v1/clients", new { name = "Busy", currency = "EUR", default_rate = 1 }, "busy-1"))
            .Expect(HttpStatusCode.Created);
        await ExecuteAsync("UPDATE idempotency_keys SET status_code = NULL, content_type = NULL, body = NULL, claimed_at = now() WHERE key = 'busy-1'");

        var reply = await pat.SendAsync(HttpMethod.Post, "/api/v1/clients", new { name = "Busy", currency = "EUR", default_rate = 1 }, "busy-1");

        reply.ExpectProblem(HttpStatusCode.Conflict, "idempotency_in_progress");
        Assert.InRange(reply.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 20, 31);
    }

    [Fact]
    public async Task Keys_older_than_24_hours_are_swept_by_one_reminder_shared_by_every_node()
    {
        var (pat, _) = await PersonAsync();
        (await pat.SendAsync(HttpMethod.Post, "/api/v1/clients", new { name = "Old", currency = "EUR", default_rate = 1 }, "old-1")).Expect(HttpStatusCode.Created);
        (await pat.SendAsync(HttpMethod.Post, "/api/v1/clients", new { name = "New", currency = "EUR", default_rate = 1 }, "new-1")).Expect(HttpStatusCode.Created);
        await ExecuteAsync("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old-1'");

        var swept = await _server.Services.GetRequiredService<IGrainFactory>().GetGrain<IHousekeepingGrain>(0).SweepAsync();

        Assert.True(swept.IdempotencyKeys >= 1);
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM idempotency_keys WHERE key = 'old-1'"));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM idempotency_keys WHERE key = 'new-1'"));

        // The sweep's reminder lives in PostgreSQL, so it moves to a live silo when its silo dies.
        for (var i = 0; i < 100 && await CountAsync($"SELECT count(*) FROM orleansreminderstable WHERE remindername = '{HousekeepingGrain.Reminder}'") == 0; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(1L, await CountAsync($"SELECT count(*) FROM orleansreminderstable WHERE remindername = '{HousekeepingGrain.Reminder}'"));
    }

    /// <summary>What a node killed after its write committed and before it stored the answer leaves, once the lease ran out.</summary>
    private Task LoseAnswerAsync(string key) => ExecuteAsync(
        $"UPDATE idempotency_keys SET status_code = NULL, content_type = NULL, body = NULL, claimed_at = now() - interval '1 hour' WHERE key = '{key}'");

    private async Task<(ApiClient Pat, string Project)> PersonAsync()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(_server.BaseAddress);
        return (pat, await pat.CreateProjectAsync(await pat.CreateClientAsync(), "Recovery"));
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = await _server.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = await _server.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
