using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// R24: a manual entry ends after it starts, lasts at most 7 days, and every timestamp lies between 2000-01-01 and one day
/// from now; every string is valid Unicode. Nothing a client sends, however odd, yields a 5xx (issue 24, item 7).
/// </summary>
public class HostileInputTests(HourdiniServer server) : IClassFixture<HourdiniServer>, IAsyncLifetime
{
    private ApiClient _api = null!;
    private string _project = null!;
    private string _entry = null!;

    public async Task InitializeAsync()
    {
        (_api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        _project = await _api.CreateProjectAsync(await _api.CreateClientAsync(), "Hostile");
        _entry = (await _api.PostAsync("/api/v1/time-entries", new { project_id = _project, started_at = "2026-01-05T09:00:00Z", duration_seconds = 3600 }))
            .Expect(HttpStatusCode.Created)["time_entry"].Str("id");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("POST", "/api/v1/time-entries", "{\"project_id\":\"{project}\",\"started_at\":\"9999-12-31T23:00:00Z\",\"duration_seconds\":7200}")]
    [InlineData("POST", "/api/v1/time-entries", "{\"project_id\":\"{project}\",\"started_at\":\"9999-12-31T23:00:00Z\",\"ended_at\":\"9999-12-31T23:59:59Z\"}")]
    [InlineData("POST", "/api/v1/time-entries", "{\"project_id\":\"{project}\",\"started_at\":\"2026-01-05T09:00:00Z\",\"ended_at\":\"9999-12-31T23:59:59Z\"}")]
    [InlineData("POST", "/api/v1/time-entries", "{\"project_id\":\"{project}\",\"started_at\":\"1999-12-31T23:59:59Z\",\"duration_seconds\":60}")]
    [InlineData("POST", "/api/v1/time-entries", "{\"project_id\":\"{project}\",\"started_at\":\"0001-01-01T00:00:00Z\",\"duration_seconds\":60}")]
    [InlineData("PATCH", "/api/v1/time-entries/{entry}", "{\"started_at\":\"9999-12-31T23:00:00Z\",\"duration_seconds\":7200}")]
    [InlineData("PATCH", "/api/v1/time-entries/{entry}", "{\"ended_at\":\"9999-12-31T23:59:59Z\"}")]
    [InlineData("POST", "/api/v1/sessions", "{\"project_id\":\"{project}\",\"environment\":{\"os\":\"a\\ud800b\"}}")]
    [InlineData("POST", "/api/v1/sessions", "{\"project_id\":\"{project}\",\"environment\":{\"\\udc00\":\"linux\"}}")]
    [InlineData("POST", "/api/v1/sessions", "{\"project_id\":\"{project}\",\"environment\":{\"tools\":[[\"\\ud83d\"]]}}")]
    public async Task Out_of_range_timestamps_and_lone_surrogates_are_422_not_500(string method, string path, string body)
    {
        var reply = await _api.SendAsync(new HttpMethod(method), path.Replace("{entry}", _entry), body.Replace("{project}", _project));

        reply.ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
    }

    [Fact]
    public async Task A_timestamp_more_than_a_day_ahead_is_refused()
    {
        var ahead = DateTimeOffset.UtcNow.AddDays(2).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");

        var reply = await _api.PostAsync("/api/v1/time-entries", new { project_id = _project, started_at = ahead, duration_seconds = 60 });

        reply.ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
    }

    [Fact]
    public async Task A_manual_entry_that_ends_before_it_starts_is_refused_not_saved_overnight()
    {
        var before = (await _api.GetAsync("/api/v1/time-entries")).Expect(HttpStatusCode.OK)["time_entries"].GetArrayLength();

        var reply = await _api.PostAsync("/api/v1/time-entries",
            new { project_id = _project, started_at = "2026-01-06T23:00:00Z", ended_at = "2026-01-06T01:00:00Z" });

        reply.ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Equal(before, (await _api.GetAsync("/api/v1/time-entries")).Expect(HttpStatusCode.OK)["time_entries"].GetArrayLength());
    }

    [Fact]
    public async Task An_environment_with_a_valid_surrogate_pair_is_accepted()
    {
        var reply = await _api.SendAsync(HttpMethod.Post, "/api/v1/sessions",
            $"{{\"project_id\":\"{_project}\",\"environment\":{{\"mood\":\"\\ud83d\\ude80\"}}}}");

        reply.Expect(HttpStatusCode.Created);
    }
}
