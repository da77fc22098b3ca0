using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// R27: the entry a session wrote can be corrected (description, tags, billable, and a duration from 0 to the session's
/// wall-clock span); the session and its timeline stay as they were (R7); the entry keeps its original duration and
/// when it was corrected, and each correction is in the org's audit trail.
/// </summary>
public sealed class CorrectionsTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task A_sessions_entry_is_corrected_and_the_session_and_its_timeline_stay_as_they_were()
    {
        var (pat, session, entry) = await EndedSessionAsync();
        var before = await pat.GetSessionAsync(session);
        var timeline = (await pat.GetAsync($"/api/v1/sessions/{session}/timeline")).Expect(HttpStatusCode.OK).Body.ToString();

        var corrected = (await pat.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{entry.Str("id")}",
            new { description = "Reviewed the parser", tags = new[] { "review" }, duration_seconds = 1 })).Expect(HttpStatusCode.OK)["time_entry"];

        Assert.Equal("Reviewed the parser", corrected.Str("description"));
        Assert.Equal(["review"], corrected.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(1, corrected.Long("duration_seconds"));
        Assert.Equal(entry.Long("duration_seconds"), corrected.Long("original_duration_seconds"));
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, corrected.GetProperty("corrected_at").ValueKind);
        Assert.Equal(entry.Long("active_seconds"), corrected.Long("active_seconds")); // the split is the session's (R25)
        Assert.Equal("0.03", corrected.Str("amount")); // 1 s at 120/h, scaled from what the session billed

        Assert.Equal(before.ToString(), (await pat.GetSessionAsync(session)).ToString());
        Assert.Equal(timeline, (await pat.GetAsync($"/api/v1/sessions/{session}/timeline")).Expect(HttpStatusCode.OK).Body.ToString());

        var history = (await pat.GetAsync($"/api/v1/time-entries/{entry.Str("id")}/history")).Expect(HttpStatusCode.OK)["events"];
        var correction = Assert.Single(history.EnumerateArray());
        Assert.Equal("entry_corrected", correction.Str("type"));
        var changes = correction.GetProperty("data").GetProperty("changes");
        Assert.Equal(entry.Long("duration_seconds"), changes.GetProperty("duration_seconds").Long("from"));
        Assert.Equal(1, changes.GetProperty("duration_seconds").Long("to"));
        Assert.Equal("Reviewed the parser", changes.GetProperty("description").Str("to"));
    }

    [Fact]
    public async Task A_second_correction_keeps_the_first_original_and_both_are_audited()
    {
        var (pat, _, entry) = await EndedSessionAsync();
        var path = $"/api/v1/time-entries/{entry.Str("id")}";

        (await pat.SendAsync(HttpMethod.Patch, path, new { duration_seconds = 1 })).Expect(HttpStatusCode.OK);
        var again = (await pat.SendAsync(HttpMethod.Patch, path, new { billable = false, duration_seconds = 0 })).Expect(HttpStatusCode.OK)["time_entry"];

        Assert.Equal(entry.Long("duration_seconds"), again.Long("original_duration_seconds"));
        Assert.Equal(0, again.Long("duration_seconds"));
        Assert.Equal("0.00", again.Str("amount"));
        Assert.Equal(2, (await pat.GetAsync($"{path}/history")).Expect(HttpStatusCode.OK)["events"].GetArrayLength());

        // Nothing new to say is no correction.
        (await pat.SendAsync(HttpMethod.Patch, path, new { billable = false })).Expect(HttpStatusCode.OK);
        Assert.Equal(2, (await pat.GetAsync($"{path}/history")).Expect(HttpStatusCode.OK)["events"].GetArrayLength());
    }

    [Theory]
    [InlineData("{\"duration_seconds\":-1}", 422, "validation_failed")]
    [InlineData("{\"duration_seconds\":100000}", 422, "validation_failed")]
    [InlineData("{\"project_id\":\"{project}\"}", 409, "entry_locked")]
    [InlineData("{\"started_at\":\"2026-01-05T09:00:00Z\"}", 409, "entry_locked")]
    [InlineData("{\"ended_at\":\"2026-01-05T09:00:00Z\"}", 409, "entry_locked")]
    public async Task What_a_correction_cannot_change_is_refused_and_changes_nothing(string body, int status, string code)
    {
        var (pat, _, entry) = await EndedSessionAsync();
        var path = $"/api/v1/time-entries/{entry.Str("id")}";

        (await pat.SendAsync(HttpMethod.Patch, path, body.Replace("{project}", entry.Str("project_id")))).ExpectProblem((HttpStatusCode)status, code);

        var after = (await pat.GetAsync(path)).Expect(HttpStatusCode.OK)["time_entry"];
        Assert.Equal(entry.Long("duration_seconds"), after.Long("duration_seconds"));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, after.GetProperty("corrected_at").ValueKind);
        Assert.Equal(0, (await pat.GetAsync($"{path}/history")).Expect(HttpStatusCode.OK)["events"].GetArrayLength());
    }

    [Fact]
    public async Task A_sessions_entry_still_cannot_be_deleted()
    {
        var (pat, _, entry) = await EndedSessionAsync();

        (await pat.SendAsync(HttpMethod.Delete, $"/api/v1/time-entries/{entry.Str("id")}")).ExpectProblem(HttpStatusCode.Conflict, "entry_locked");
    }

    /// <summary>A person's session of a little over two seconds, ended: its entry bills 2 s at 120/h.</summary>
    private async Task<(ApiClient Pat, string Session, System.Text.Json.JsonElement Entry)> EndedSessionAsync()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(), "Corrections");
        var session = (await pat.StartSessionAsync(project, "Parser")).Str("id");
        await Task.Delay(2200);
        var entry = (await pat.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK)["entry"];
        Assert.InRange(entry.Long("duration_seconds"), 2, 3);
        return (pat, session, entry);
    }
}
