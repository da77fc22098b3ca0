using System.Net;
using System.Text;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>Rate limits, sign-in throttling, body limits, CSRF and cookie flags (issue 7, "Protection").</summary>
public class ProtectionTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task A_caller_over_its_rate_gets_429_with_Retry_After_while_other_callers_go_on()
    {
        await using var node = await HourdiniServer.StartNodeAsync(server.ConnectionString, new()
        {
            ["Hourdini:Limits:PerCallerPerSecond"] = "1",
            ["Hourdini:Limits:PerCallerBurst"] = "3",
        });
        var (greedy, _, _) = await ApiClient.SignUpAsync(node.BaseAddress);
        var (calm, _, _) = await ApiClient.SignUpAsync(node.BaseAddress);

        var replies = new List<Reply>();
        for (var i = 0; i < 8; i++)
        {
            replies.Add(await greedy.GetAsync("/api/v1/timer"));
        }

        var limited = replies.Where(r => r.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.All(limited, r => Assert.Equal("rate_limited", r.Code));
        Assert.True(limited[0].Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await calm.GetAsync("/api/v1/timer")).Status);
        Assert.Equal(HttpStatusCode.OK, (await greedy.GetAsync("/healthz")).Status); // health checks are never limited
    }

    [Fact]
    public async Task Sign_in_attempts_from_one_address_are_throttled()
    {
        await using var node = await HourdiniServer.StartNodeAsync(server.ConnectionString, new() { ["Hourdini:Limits:SignInPerMinute"] = "3" });
        using var anonymous = ApiClient.Anonymous(node.BaseAddress);

        var statuses = new List<Reply>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add(await anonymous.PostAsync("/api/v1/auth/login", new { email = "nobody@example.com", password = $"guess number {i}" }));
        }

        Assert.Equal(3, statuses.Count(r => r.Status == HttpStatusCode.Unauthorized));
        Assert.All(statuses.Skip(3), r => r.ExpectProblem(HttpStatusCode.TooManyRequests, "rate_limited"));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413_and_changes_nothing()
    {
        await using var node = await HourdiniServer.StartNodeAsync(server.ConnectionString, new() { ["Hourdini:Limits:MaxBodyBytes"] = "2048" });
        var (human, _, _) = await ApiClient.SignUpAsync(node.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Limits");

        (await human.PostAsync("/api/v1/sessions", new { project_id = project, description = new string('x', 1900), environment = new { pad = new string('y', 1000) } }))
            .ExpectProblem(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Empty((await human.GetAsync("/api/v1/sessions"))["sessions"].EnumerateArray());
    }

    [Fact]
    public async Task Cookie_authenticated_changes_from_another_site_are_refused()
    {
        var (pat, browser, _) = await ApiClient.SignUpAsync(server.BaseAddress);

        (await Post(browser, "/api/v1/tokens", ("Origin", "https://evil.example"))).ExpectProblem(HttpStatusCode.Forbidden, "cross_origin_refused");
        (await Post(browser, "/api/v1/tokens", ("Sec-Fetch-Site", "cross-site"))).ExpectProblem(HttpStatusCode.Forbidden, "cross_origin_refused");
        (await Post(browser, "/api/v1/tokens", ("Origin", "null"))).ExpectProblem(HttpStatusCode.Forbidden, "cross_origin_refused");
        (await Post(browser, "/api/v1/auth/login", ("Sec-Fetch-Site", "cross-site"))).ExpectProblem(HttpStatusCode.Forbidden, "cross_origin_refused"); // login CSRF

        // The site's own pages, and programs that are not browsers, go through.
        (await Post(browser, "/api/v1/tokens", ("Sec-Fetch-Site", "same-origin"))).Expect(HttpStatusCode.Created);
        (await Post(browser, "/api/v1/tokens", ("Origin", server.BaseAddress.GetLeftPart(UriPartial.Authority)))).Expect(HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/tokens")).Status); // reads are never refused

        // A bearer token is not ambient: its requests are not cross-site forgeries.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/clients")
        {
            Content = new StringContent("""{"name":"Bearer Co","currency":"EUR","default_rate":10}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Origin", "https://evil.example");
        using var response = await pat.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task The_session_cookie_is_HttpOnly_and_SameSite()
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await http.PostAsync("/api/v1/auth/signup", new StringContent(
            $$"""{"email":"cookie-{{Guid.NewGuid():N}}@example.com","password":"correct horse battery","name":"C"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("hourdini=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<Reply> Post(ApiClient browser, string path, (string Name, string Value) header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(path.EndsWith("login", StringComparison.Ordinal)
                ? """{"email":"x@example.com","password":"whatever it is"}"""
                : """{"name":"csrf"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        using var response = await browser.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Reply(response.StatusCode, text.Length == 0 ? default : System.Text.Json.JsonDocument.Parse(text).RootElement.Clone(), response.Headers);
    }
}
