using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

public class PlatformTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task A_retried_request_with_the_same_idempotency_key_returns_the_first_response_and_changes_nothing()
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var body = new { name = "Once", currency = "EUR", default_rate = 10 };

        var first = (await api.SendAsync(HttpMethod.Post, "/api/v1/clients", body, idempotencyKey: "k-1")).Expect(HttpStatusCode.Created);
        var retry = (await api.SendAsync(HttpMethod.Post, "/api/v1/clients", body, idempotencyKey: "k-1")).Expect(HttpStatusCode.Created);

        Assert.Equal(first["client"].Str("id"), retry["client"].Str("id"));
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Single((await api.GetAsync("/api/v1/clients"))["clients"].EnumerateArray());
        (await api.SendAsync(HttpMethod.Post, "/api/v1/clients", new { name = "Other", currency = "EUR", default_rate = 10 }, idempotencyKey: "k-1"))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "idempotency_key_reused");
    }

    [Fact]
    public async Task Ending_a_session_twice_with_one_key_answers_like_the_first_time()
    {
        var (api, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var session = (await api.StartSessionAsync(await api.CreateProjectAsync(await api.CreateClientAsync(), "Idem"))).Str("id");

        var first = (await api.SendAsync(HttpMethod.Post, $"/api/v1/sessions/{session}/end", null, "end-1")).Expect(HttpStatusCode.OK);
        var retry = (await api.SendAsync(HttpMethod.Post, $"/api/v1/sessions/{session}/end", null, "end-1")).Expect(HttpStatusCode.OK);

        Assert.Equal(first.Body.ToString(), retry.Body.ToString());
        (await api.PostAsync($"/api/v1/sessions/{session}/end")).ExpectProblem(HttpStatusCode.Conflict, "session_stopped");
    }

    [Fact]
    public async Task Health_readiness_and_the_openapi_document_are_served()
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Contains("\"ready\"", await http.GetStringAsync("/readyz"));
        var openapi = await http.GetStringAsync("/openapi/v1.json");
        foreach (var path in new[] { "/api/v1/sessions", "/api/v1/sessions/{id}/beat", "/api/v1/timer", "/api/v1/time-entries", "/api/v1/auth/signup" })
        {
            Assert.Contains($"\"{path}\"", openapi);
        }
    }
}
