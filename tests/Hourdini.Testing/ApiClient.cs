using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Hourdini.Testing;

/// <summary>An HTTP response as the tests look at it: status, JSON body, headers.</summary>
public sealed record Reply(HttpStatusCode Status, JsonElement Body, HttpResponseHeaders Headers)
{
    public JsonElement this[string property] => Body.GetProperty(property);

    public string? Code => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("code", out var code) ? code.GetString() : null;

    public Reply Expect(HttpStatusCode status)
    {
        Assert.True(status == Status, $"Expected {(int)status} but got {(int)Status}: {Body}");
        return this;
    }

    public Reply ExpectProblem(HttpStatusCode status, string code)
    {
        Expect(status);
        Assert.Equal(code, Code);
        return this;
    }
}

/// <summary>A caller of the real HTTP API: a signed-in browser (cookies) or a program with a bearer token.</summary>
public sealed class ApiClient(HttpClient http) : IDisposable
{
    public HttpClient Http { get; } = http;

    public static ApiClient Anonymous(Uri baseAddress) =>
        new(new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true }) { BaseAddress = baseAddress });

    public static ApiClient WithToken(Uri baseAddress, string token)
    {
        var http = new HttpClient { BaseAddress = baseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new ApiClient(http);
    }

    /// <summary>Signs a new user up (cookie session) and mints a PAT; returns the PAT client and the signup body.</summary>
    public static async Task<(ApiClient Pat, ApiClient Browser, JsonElement Signup)> SignUpAsync(Uri baseAddress, string? email = null)
    {
        var browser = Anonymous(baseAddress);
        email ??= $"user-{Guid.NewGuid():N}@example.com";
        var signup = (await browser.SendAsync(HttpMethod.Post, "/api/v1/auth/signup", new { email, password = "correct horse battery", name = "Test User" }))
            .Expect(HttpStatusCode.Created);
        var token = (await browser.SendAsync(HttpMethod.Post, "/api/v1/tokens", new { name = "tests" })).Expect(HttpStatusCode.Created);
        return (WithToken(baseAddress, token["secret"].GetString()!), browser, signup.Body);
    }

    public Task<Reply> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<Reply> PostAsync(string path, object? body = null) => SendAsync(HttpMethod.Post, path, body);

    public async Task<Reply> SendAsync(HttpMethod method, string path, object? body = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is string raw)
        {
            request.Content = new StringContent(raw, Encoding.UTF8, "application/json");
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return new Reply(response.StatusCode, json, response.Headers);
    }

    // Fixtures every scenario needs.
    public async Task<string> CreateClientAsync(string name = "Acme", string currency = "EUR", decimal rate = 120m) =>
        (await PostAsync("/api/v1/clients", new { name, currency, default_rate = rate }))
        .Expect(HttpStatusCode.Created)["client"].GetProperty("id").GetString()!;

    public async Task<string> CreateProjectAsync(string clientId, string name, bool billAgentTime = false, decimal? rate = null) =>
        (await PostAsync("/api/v1/projects", new { client_id = clientId, name, bill_agent_time = billAgentTime, rate }))
        .Expect(HttpStatusCode.Created)["project"].GetProperty("id").GetString()!;

    public async Task<JsonElement> StartSessionAsync(string projectId, string description = "work", string? previous = null) =>
        (await PostAsync("/api/v1/sessions", new { project_id = projectId, description, previous }))
        .Expect(HttpStatusCode.Created)["session"];

    public async Task<JsonElement> BeatAsync(string sessionId, string kind, string? previous = null) =>
        (await PostAsync($"/api/v1/sessions/{sessionId}/beat", new { kind, previous })).Expect(HttpStatusCode.OK)["session"];

    public async Task<JsonElement> GetSessionAsync(string sessionId) =>
        (await GetAsync($"/api/v1/sessions/{sessionId}")).Expect(HttpStatusCode.OK)["session"];

    /// <summary>Creates an agent owned by this caller; returns its id and a client that speaks with its token.</summary>
    public async Task<(string Id, ApiClient Agent)> CreateAgentAsync(string name = "coder")
    {
        var created = (await PostAsync("/api/v1/agents", new { name })).Expect(HttpStatusCode.Created);
        return (created["agent"].Str("id"), WithToken(Http.BaseAddress!, created["secret"].GetString()!));
    }

    /// <summary>Invites <paramref name="email"/> to this owner's org; returns the accept token, shown once.</summary>
    public async Task<string> InviteAsync(string email, string role) =>
        (await PostAsync("/api/v1/org/invitations", new { email, role })).Expect(HttpStatusCode.Created)["accept_token"].GetString()!;

    /// <summary>
    /// Signs a new person up, has this owner invite them with <paramref name="role"/>, and has them accept and switch
    /// their web session to this owner's org. Returns that browser and who they are.
    /// </summary>
    public async Task<(ApiClient Browser, string UserId, string Email)> AddPersonAsync(string role)
    {
        var orgId = (await GetAsync("/api/v1/org")).Expect(HttpStatusCode.OK)["org"].Str("id");
        var (pat, browser, signup) = await SignUpAsync(Http.BaseAddress!);
        pat.Dispose();
        var email = signup.GetProperty("user").Str("email");
        var token = await InviteAsync(email, role);
        (await browser.PostAsync("/api/v1/invitations/accept", new { accept_token = token })).Expect(HttpStatusCode.OK);
        (await browser.PostAsync("/api/v1/auth/switch", new { org_id = orgId })).Expect(HttpStatusCode.OK);
        return (browser, signup.GetProperty("user").Str("id"), email);
    }

    public void Dispose() => Http.Dispose();
}

public static class JsonAccess
{
    public static string Str(this JsonElement e, string property) => e.GetProperty(property).GetString()!;

    public static long Long(this JsonElement e, string property) => e.GetProperty(property).GetInt64();

    public static string CurrentBeat(this JsonElement session) =>
        session.GetProperty("current_beat").GetProperty("kind").GetString()!;
}
