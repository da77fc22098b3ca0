using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

public class TimeEntriesTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task Manual_and_timer_entries_can_be_edited_and_deleted_but_a_sessions_entry_is_only_corrected()
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var euro = await api.CreateProjectAsync(await api.CreateClientAsync("Euro Co", "EUR", 100m), "Euro work");
        var dollar = await api.CreateProjectAsync(await api.CreateClientAsync("Dollar Inc", "USD", 200m), "Dollar work");
        var entry = (await api.PostAsync("/api/v1/time-entries", new
        {
            project_id = euro,
            started_at = "2026-11-02T09:00:00Z",
            ended_at = "2026-11-02T10:00:00Z",
            description = "draft",
        })).Expect(HttpStatusCode.Created)["time_entry"].Str("id");

        // A new start keeps the end; moving to another project re-snapshots its rate and currency (R19).
        var edited = (await api.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{entry}", new
        {
            started_at = "2026-11-02T09:30:00Z",
            description = "final",
            project_id = dollar,
        })).Expect(HttpStatusCode.OK)["time_entry"];
        Assert.Equal((1800L, "final", "2026-11-02T10:00:00.000Z"), (edited.Long("duration_seconds"), edited.Str("description"), edited.Str("ended_at")));
        Assert.Equal((200m, "USD"), (edited.GetProperty("rate").GetDecimal(), edited.Str("currency")));
        (await api.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{entry}", new { ended_at = "2026-11-02T09:00:00Z" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");

        var session = (await api.StartSessionAsync(euro)).Str("id");
        await Task.Delay(1050);
        var sessionEntry = (await api.PostAsync($"/api/v1/sessions/{session}/end"))["entry"].Str("id");
        (await api.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{sessionEntry}", new { project_id = euro }))
            .ExpectProblem(HttpStatusCode.Conflict, "entry_locked"); // R27: its project and times stay the session's (CorrectionsTests)
        (await api.SendAsync(HttpMethod.Delete, $"/api/v1/time-entries/{sessionEntry}")).ExpectProblem(HttpStatusCode.Conflict, "entry_locked");

        (await api.SendAsync(HttpMethod.Delete, $"/api/v1/time-entries/{entry}")).Expect(HttpStatusCode.NoContent);
        (await api.GetAsync($"/api/v1/time-entries/{entry}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await api.SendAsync(HttpMethod.Delete, $"/api/v1/time-entries/{entry}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        Assert.Equal(sessionEntry, (await api.GetAsync($"/api/v1/time-entries/{sessionEntry}"))["time_entry"].Str("id"));
    }

    [Fact]
    public async Task The_summary_totals_each_project_and_never_mixes_currencies() // R20
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var euro = await api.CreateProjectAsync(await api.CreateClientAsync("Euro Co", "EUR", 100m), "Euro work");
        var dollar = await api.CreateProjectAsync(await api.CreateClientAsync("Dollar Inc", "USD", 200m), "Dollar work");
        async Task Log(string project, string start, int seconds, bool billable = true) =>
            (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = start, duration_seconds = seconds, billable }))
            .Expect(HttpStatusCode.Created);
        await Log(euro, "2026-11-02T09:00:00Z", 3600);
        await Log(euro, "2026-11-02T11:00:00Z", 1800, billable: false);
        await Log(dollar, "2026-11-02T13:00:00Z", 900);
        await Log(dollar, "2026-10-01T13:00:00Z", 900); // outside the range

        var summary = (await api.GetAsync("/api/v1/time-entries/summary?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&group_by=project"))
            .Expect(HttpStatusCode.OK);

        var totals = summary["totals"].EnumerateArray().ToDictionary(t => t.Str("currency"));
        Assert.Equal((5400L, 3600L, 100m), (totals["EUR"].Long("seconds"), totals["EUR"].Long("billable_seconds"), totals["EUR"].GetProperty("amount").GetDecimal()));
        Assert.Equal((900L, 50m), (totals["USD"].Long("seconds"), totals["USD"].GetProperty("amount").GetDecimal()));
        Assert.Equal(2, summary["groups"].GetArrayLength());
        var dollarOnly = (await api.GetAsync($"/api/v1/time-entries?project_id={dollar}"))["time_entries"];
        Assert.Equal(2, dollarOnly.GetArrayLength());
        Assert.All(dollarOnly.EnumerateArray(), e => Assert.Equal(dollar, e.Str("project_id")));
        (await api.GetAsync("/api/v1/time-entries/summary?group_by=tag")).ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
    }
}
