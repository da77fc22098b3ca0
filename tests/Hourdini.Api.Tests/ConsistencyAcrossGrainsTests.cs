using System.Net;
using System.Text.Json;
using Hourdini.Grains.Users;
using Hourdini.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Hourdini.Api.Tests;

/// <summary>
/// README, "Consistency across grains" (issue 23): a focus change is several writes, each grain its own, in the order
/// timer stops, old focus demoted, new focus promoted. A crash between any two of them leaves a database in which every
/// guarantee holds (R3: one active beat and never beside the timer; R6: an ended billable session has its entry; /me/focus
/// tells the truth), and a fresh activation carries on from it. The crash is the turn failing at that point: its
/// activation is dropped, as a dead process's would be, and only what committed remains.
/// </summary>
public sealed class ConsistencyAcrossGrainsTests : IAsyncLifetime
{
    private readonly CrashAt _crash = new();
    private HourdiniServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = new HourdiniServer { ConfigureServices = services => services.AddSingleton<ITurnSteps>(_crash) };
        await _server.InitializeAsync();
    }

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task A_crash_after_the_timer_stopped_leaves_its_entry_and_no_focus() // R3, R17
    {
        var (pat, project, userId) = await UserAsync();
        (await pat.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project, description = "timer" })).Expect(HttpStatusCode.Created);

        _crash.At = TurnStep.TimerStopped;
        (await pat.PostAsync("/api/v1/sessions", new { project_id = project })).ExpectProblem(HttpStatusCode.InternalServerError, "internal_error");

        await AssertTruthAsync(pat, userId, expectedFocus: null);
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM time_entries WHERE user_id = $1 AND source = 'timer'", userId));
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM sessions WHERE user_id = $1", userId));

        // A fresh activation goes on from what committed.
        var session = (await pat.StartSessionAsync(project)).Str("id");
        await AssertTruthAsync(pat, userId, expectedFocus: session);
    }

    [Fact]
    public async Task A_crash_after_the_old_focus_was_demoted_leaves_nothing_active() // R3
    {
        var (pat, project, userId) = await UserAsync();
        var first = (await pat.StartSessionAsync(project, "first")).Str("id");

        _crash.At = TurnStep.FocusDemoted;
        (await pat.PostAsync("/api/v1/sessions", new { project_id = project, description = "second" }))
            .ExpectProblem(HttpStatusCode.InternalServerError, "internal_error");

        await AssertTruthAsync(pat, userId, expectedFocus: null);
        Assert.Equal("idle", (await pat.GetSessionAsync(first)).CurrentBeat());

        Assert.Equal("active", (await pat.BeatAsync(first, "active")).CurrentBeat());
        await AssertTruthAsync(pat, userId, expectedFocus: first);
    }

    [Fact]
    public async Task A_crash_after_the_new_focus_was_promoted_is_read_back_by_the_next_activation() // R3
    {
        var (pat, project, userId) = await UserAsync();
        var first = (await pat.StartSessionAsync(project, "first")).Str("id");
        var second = (await pat.StartSessionAsync(project, "second")).Str("id");

        // The user grain dies before taking note that the first session took focus back.
        _crash.At = TurnStep.FocusPromoted;
        (await pat.PostAsync($"/api/v1/sessions/{first}/beat", new { kind = "active" })).ExpectProblem(HttpStatusCode.InternalServerError, "internal_error");
        await AssertTruthAsync(pat, userId, expectedFocus: first);

        // The next activation knows the first session holds focus, so focusing the second demotes the first.
        Assert.Equal("active", (await pat.BeatAsync(second, "active")).CurrentBeat());
        Assert.Equal("idle", (await pat.GetSessionAsync(first)).CurrentBeat());
        await AssertTruthAsync(pat, userId, expectedFocus: second);

        // And ending it, a billable second later, writes its entry in the same write as the stop (R6).
        await Task.Delay(1100);
        var ended = (await pat.PostAsync($"/api/v1/sessions/{second}/end")).Expect(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Object, ended["entry"].ValueKind);
        await AssertTruthAsync(pat, userId, expectedFocus: null);
    }

    [Fact]
    public async Task A_crash_while_a_session_starts_from_a_running_timer_and_a_focus_never_leaves_two_things_running() // R3
    {
        var (pat, project, userId) = await UserAsync();
        var first = (await pat.StartSessionAsync(project, "first")).Str("id");
        (await pat.PostAsync($"/api/v1/sessions/{first}/beat", new { kind = "idle" })).Expect(HttpStatusCode.OK);
        (await pat.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project, description = "timer" })).Expect(HttpStatusCode.Created);

        foreach (var step in new[] { TurnStep.TimerStopped, TurnStep.FocusPromoted })
        {
            _crash.At = step;
            (await pat.PostAsync($"/api/v1/sessions/{first}/beat", new { kind = "active" })).ExpectProblem(HttpStatusCode.InternalServerError, "internal_error");
            await AssertTruthAsync(pat, userId, expectedFocus: step == TurnStep.TimerStopped ? null : first);
        }
    }

    [Fact]
    public async Task A_focus_whose_session_ended_behind_the_user_grains_back_does_not_block_the_next_change() // R3, R7
    {
        // As when a call to end it timed out and its write committed after the user grain had been read afresh.
        var (pat, project, userId) = await UserAsync();
        var first = (await pat.StartSessionAsync(project, "first")).Str("id");
        await using (var db = await _server.OpenDatabaseAsync())
        await using (var stop = new NpgsqlBatch(db)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("UPDATE beats SET ended_at = now() WHERE session_id = $1 AND ended_at IS NULL") { Parameters = { new() { Value = Guid.Parse(first) } } },
                new NpgsqlBatchCommand("UPDATE sessions SET status = 'stopped', stopped_at = now(), version = version + 1 WHERE id = $1") { Parameters = { new() { Value = Guid.Parse(first) } } },
            },
        })
        {
            await stop.ExecuteNonQueryAsync();
        }

        // The session's grain learns it is stopped (its stale write loses, the retry reads it back); the user's grain,
        // still active, holds it as its focus.
        (await pat.PostAsync($"/api/v1/sessions/{first}/events", new { type = "log", message = "late" })).ExpectProblem(HttpStatusCode.Conflict, "session_stopped");

        var second = (await pat.StartSessionAsync(project, "second")).Str("id");
        await AssertTruthAsync(pat, userId, expectedFocus: second);
        (await pat.PostAsync($"/api/v1/sessions/{second}/beat", new { kind = "idle" })).Expect(HttpStatusCode.OK);
        (await pat.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project })).Expect(HttpStatusCode.Created);
    }

    private async Task<(ApiClient Pat, string Project, Guid UserId)> UserAsync()
    {
        var (pat, _, signup) = await ApiClient.SignUpAsync(_server.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(), "Crash", billAgentTime: true);
        return (pat, project, Guid.Parse(signup.GetProperty("user").Str("id")));
    }

    /// <summary>The database holds every core rule, and /me/focus names exactly what it holds.</summary>
    private async Task AssertTruthAsync(ApiClient pat, Guid userId, string? expectedFocus)
    {
        await using var db = await _server.OpenDatabaseAsync();
        var sessions = await CountAsync("SELECT count(*) FROM sessions WHERE user_id = $1", userId);
        await Invariants.AssertAsync(db, userId, (int)sessions);
        await Invariants.AssertOneEntryPerBillableSessionAsync(db, userId, allStopped: false);

        var openActive = await ScalarAsync<Guid?>("SELECT session_id FROM beats WHERE user_id = $1 AND kind = 'active' AND ended_at IS NULL", userId);
        var timer = await ScalarAsync<Guid?>("SELECT timer_id FROM user_tracking WHERE user_id = $1 AND timer_started_at IS NOT NULL", userId);
        var focus = (await pat.GetAsync("/api/v1/me/focus")).Expect(HttpStatusCode.OK)["focus"];
        (string, Guid)? told = focus.ValueKind == JsonValueKind.Null ? null : (focus.Str("type"), Guid.Parse(focus.Str("id")));
        var truth = openActive is { } s ? ("session", s) : timer is { } t ? ("timer", t) : ((string, Guid)?)null;
        Assert.Equal(truth, told);
        Assert.Equal(expectedFocus, openActive?.ToString());
    }

    private Task<long> CountAsync(string sql, Guid userId) => ScalarAsync<long>(sql, userId);

    private async Task<T> ScalarAsync<T>(string sql, Guid userId)
    {
        await using var db = await _server.OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(sql, db);
        command.Parameters.AddWithValue(userId);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default! : (T)value;
    }
}
