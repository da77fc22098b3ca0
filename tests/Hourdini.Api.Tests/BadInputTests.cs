using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>Bad input gets a clear 4xx problem with a stable code, and never a 5xx.</summary>
public class BadInputTests(HourdiniServer server) : IClassFixture<HourdiniServer>, IAsyncLifetime
{
    private ApiClient _api = null!;
    private string _project = null!;
    private string _session = null!;

    public async Task InitializeAsync()
    {
        (_api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        _project = await _api.CreateProjectAsync(await _api.CreateClientAsync(), "Inputs");
        _session = (await _api.StartSessionAsync(_project)).Str("id");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("POST", "/api/v1/sessions/{session}/beat", "{\"kind\":", 400, "malformed_request")]
    [InlineData("POST", "/api/v1/sessions/{session}/beat", "{\"kind\": 5}", 400, "malformed_request")]
    [InlineData("POST", "/api/v1/sessions/{session}/beat", "[]", 400, "malformed_request")]
    [InlineData("POST", "/api/v1/sessions/{session}/beat", "{\"kind\":\"sleeping\"}", 422, "validation_failed")]
    [InlineData("POST", "/api/v1/sessions/{session}/beat", "{}", 422, "validation_failed")]
    [InlineData("POST", "/api/v1/sessions/{session}/beat", "{\"kind\":\"active\",\"previous\":\"active\"}", 422, "validation_failed")]
    [InlineData("POST", "/api/v1/sessions/not-an-id/beat", "{\"kind\":\"idle\"}", 404, "not_found")]
    [InlineData("POST", "/api/v1/sessions/00000000-0000-0000-0000-000000000001/beat", "{\"kind\":\"idle\"}", 404, "not_found")]
    [InlineData("POST", "/api/v1/sessions/00000000-0000-0000-0000-000000000001/end", null, 404, "not_found")]
    [InlineData("GET", "/api/v1/sessions/00000000-0000-0000-0000-000000000001", null, 404, "not_found")]
    [InlineData("GET", "/api/v1/sessions?status=sideways", null, 422, "validation_failed")]
    [InlineData("GET", "/api/v1/sessions?limit=100000", null, 422, "validation_failed")]
    [InlineData("POST", "/api/v1/sessions", "{}", 422, "validation_failed")]
    [InlineData("POST", "/api/v1/sessions", "{\"project_id\":\"{project}\",\"project_name\":\"Inputs\"}", 422, "validation_failed")]
    [InlineData("POST", "/api/v1/sessions", "{\"project_name\":\"no such project\"}", 404, "not_found")]
    [InlineData("POST", "/api/v1/sessions", "{\"project_id\":\"{project}\",\"environment\":\"linux\"}", 422, "validation_failed")]
    [InlineData("POST", "/api/v1/sessions", null, 400, "malformed_request")]
    [InlineData("POST", "/api/v1/sessions", "{\"project_id\":\"{project}\",\"environment\":{\"os\":\"a\\u0000b\"}}", 422, "validation_failed")]
    [InlineData("POST", "/api/v1/sessions/{session}/events", "{\"type\":\"log\",\"message\":\"a\\u0000b\"}", 422, "validation_failed")]
    [InlineData("POST", "/api/v1/clients", "{\"currency\":\"EUR\",\"default_rate\":10}", 422, "validation_failed")]
    [InlineData("POST", "/api/v1/clients", "{\"name\":\"x\",\"currency\":\"EURO\",\"default_rate\":10}", 422, "validation_failed")]
    [InlineData("POST", "/api/v1/clients", "{\"name\":\"x\",\"currency\":\"EUR\",\"default_rate\":-1}", 422, "validation_failed")]
    [InlineData("POST", "/api/v1/clients", "{\"name\":\"x\",\"currency\":\"EUR\",\"default_rate\":\"ten\"}", 400, "malformed_request")]
    [InlineData("POST", "/api/v1/clients", "{\"name\":\"x\\u0000y\",\"currency\":\"EUR\",\"default_rate\":1}", 422, "validation_failed")]
    [InlineData("POST", "/api/v1/projects", "{\"client_id\":\"00000000-0000-0000-0000-000000000001\",\"name\":\"p\"}", 404, "not_found")]
    [InlineData("PUT", "/api/v1/timer", "{\"project_id\":\"zzz\"}", 404, "not_found")]
    [InlineData("PUT", "/api/v1/timer", "{\"project_id\":\"{project}\",\"tags\":[1]}", 400, "malformed_request")]
    [InlineData("POST", "/api/v1/time-entries", "{\"project_id\":\"{project}\",\"started_at\":\"yesterday\",\"duration_seconds\":5}", 400, "malformed_request")]
    [InlineData("POST", "/api/v1/time-entries", "{\"project_id\":\"{project}\",\"started_at\":\"1970-01-01T00:00:00Z\",\"duration_seconds\":5}", 422, "validation_failed")]
    [InlineData("GET", "/api/v1/time-entries?source=magic", null, 422, "validation_failed")]
    [InlineData("PATCH", "/api/v1/org", "{\"agent_lease_seconds\":1}", 422, "validation_failed")]
    [InlineData("DELETE", "/api/v1/sessions", null, 405, "method_not_allowed")]
    [InlineData("GET", "/api/v1/nowhere", null, 404, "not_found")]
    public async Task Bad_input_is_refused_with_a_problem_and_a_stable_code(string method, string path, string? body, int status, string code)
    {
        var reply = await _api.SendAsync(
            new HttpMethod(method),
            path.Replace("{session}", _session).Replace("{project}", _project),
            body?.Replace("{project}", _project));

        reply.ExpectProblem((HttpStatusCode)status, code);
        Assert.Equal(status, reply["status"].GetInt32());
        Assert.False(string.IsNullOrEmpty(reply["detail"].GetString()));

        // Issue 7: a refusal names the JSON path at fault, never the server's own types.
        Assert.DoesNotContain("Hourdini.", reply["detail"].GetString());
        Assert.DoesNotContain("System.", reply["detail"].GetString());
    }

    [Fact]
    public async Task Refused_input_changes_nothing()
    {
        var before = await _api.GetSessionAsync(_session);

        await _api.PostAsync($"/api/v1/sessions/{_session}/beat", new { kind = "sleeping" });
        await _api.PostAsync($"/api/v1/sessions/{_session}/beat", new { kind = "active", previous = "active" });

        Assert.Equal(before.GetProperty("beats").ToString(), (await _api.GetSessionAsync(_session)).GetProperty("beats").ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer hd_pat_live_forged")]
    [InlineData("Bearer something-else")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task No_or_bad_credentials_get_401(string? authorization)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sessions");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"code\":\"unauthorized\"", await response.Content.ReadAsStringAsync());
    }
}
