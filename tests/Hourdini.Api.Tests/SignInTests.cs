using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// API.md "Accounts" (additions): logout revokes the cookie on every node, a password change revokes the user's other
/// cookie sessions, failed sign-ins are throttled per account on every node together, and forwarded headers are believed
/// only from the proxies named in configuration (issue 24, items 4 and 6).
/// </summary>
public class SignInTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task Logout_revokes_the_cookie_on_every_node_so_a_captured_copy_is_refused()
    {
        await using var otherNode = await HourdiniServer.StartNodeAsync(server.ConnectionString);
        var email = NewEmail();
        var captured = await SignUpAsync(server.BaseAddress, email);
        (await Send(server.BaseAddress, HttpMethod.Get, "/api/v1/me", captured)).EnsureSuccessStatusCode();
        (await Send(otherNode.BaseAddress, HttpMethod.Get, "/api/v1/me", captured)).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.NoContent, (await Send(server.BaseAddress, HttpMethod.Post, "/api/v1/auth/logout", captured)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(server.BaseAddress, HttpMethod.Get, "/api/v1/me", captured)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(otherNode.BaseAddress, HttpMethod.Get, "/api/v1/me", captured)).StatusCode);
        var mint = await Send(otherNode.BaseAddress, HttpMethod.Post, "/api/v1/tokens", captured, new { name = "stolen" });
        Assert.Equal(HttpStatusCode.Unauthorized, mint.StatusCode);
    }

    [Fact]
    public async Task A_password_change_revokes_every_other_cookie_session_and_keeps_this_one()
    {
        var email = NewEmail();
        var here = await SignUpAsync(server.BaseAddress, email);
        var elsewhere = await LoginAsync(server.BaseAddress, email, Password);

        var change = await Send(server.BaseAddress, HttpMethod.Post, "/api/v1/auth/password", here,
            new { current_password = Password, new_password = "a new and longer passphrase" });

        Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Send(server.BaseAddress, HttpMethod.Get, "/api/v1/me", here)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(server.BaseAddress, HttpMethod.Get, "/api/v1/me", elsewhere)).StatusCode);
        using var anonymous = ApiClient.Anonymous(server.BaseAddress);
        (await anonymous.PostAsync("/api/v1/auth/login", new { email, password = Password })).ExpectProblem(HttpStatusCode.Unauthorized, "invalid_credentials");
        (await anonymous.PostAsync("/api/v1/auth/login", new { email, password = "a new and longer passphrase" })).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_password_change_needs_the_current_password_a_valid_new_one_and_a_signed_in_browser()
    {
        var (pat, browser, _) = await ApiClient.SignUpAsync(server.BaseAddress);

        (await browser.PostAsync("/api/v1/auth/password", new { current_password = "not it at all", new_password = "a new and longer passphrase" }))
            .ExpectProblem(HttpStatusCode.Forbidden, "wrong_password");
        (await browser.PostAsync("/api/v1/auth/password", new { current_password = Password, new_password = "short" }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        (await pat.PostAsync("/api/v1/auth/password", new { current_password = Password, new_password = "a new and longer passphrase" }))
            .ExpectProblem(HttpStatusCode.Forbidden, "cookie_required");
        (await browser.GetAsync("/api/v1/me")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Failed_sign_ins_are_throttled_per_account_whatever_node_or_address_they_come_from()
    {
        await using var otherNode = await HourdiniServer.StartNodeAsync(server.ConnectionString);
        var email = NewEmail();
        await SignUpAsync(server.BaseAddress, email);

        for (var i = 0; i < 10; i++)
        {
            var node = i % 2 == 0 ? server.BaseAddress : otherNode.BaseAddress;
            var reply = await LoginAttemptAsync(node, email, $"guess {i}", forwardedFor: $"203.0.113.{i}");
            Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
        }

        foreach (var node in new[] { server.BaseAddress, otherNode.BaseAddress })
        {
            var refused = await LoginAttemptAsync(node, email, Password, forwardedFor: "198.51.100.7");
            refused.ExpectProblem(HttpStatusCode.TooManyRequests, "too_many_attempts");
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.FromMinutes(10));
        }

        // Another account is not affected.
        var bystander = NewEmail();
        await SignUpAsync(server.BaseAddress, bystander);
        (await LoginAttemptAsync(otherNode.BaseAddress, bystander, Password)).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_unknown_email_is_throttled_and_answered_like_a_known_one()
    {
        var unknown = NewEmail();
        for (var i = 0; i < 10; i++)
        {
            (await LoginAttemptAsync(server.BaseAddress, unknown, $"guess {i}")).ExpectProblem(HttpStatusCode.Unauthorized, "invalid_credentials");
        }

        (await LoginAttemptAsync(server.BaseAddress, unknown, "guess 11")).ExpectProblem(HttpStatusCode.TooManyRequests, "too_many_attempts");
    }

    [Fact]
    public async Task A_wrong_password_for_an_unknown_email_takes_as_long_as_for_a_known_one()
    {
        var known = NewEmail();
        await SignUpAsync(server.BaseAddress, known);
        var unknown = NewEmail();
        await LoginAttemptAsync(server.BaseAddress, unknown, "warm up");

        // The fastest of several tries of each, so a busy moment does not decide it. Without the decoy hash an unknown
        // email answered in a few milliseconds against a password hash's tens (a ratio near 0.05); a loose bound keeps a
        // busy machine from failing it.
        var knownTime = await FastestAsync(() => LoginAttemptAsync(server.BaseAddress, known, "wrong password"));
        var unknownTime = await FastestAsync(() => LoginAttemptAsync(server.BaseAddress, unknown, "wrong password"));

        Assert.True(unknownTime >= knownTime * 0.25, $"unknown email {unknownTime.TotalMilliseconds:F1} ms, known {knownTime.TotalMilliseconds:F1} ms");
    }

    [Fact]
    public async Task X_Forwarded_For_from_a_proxy_not_named_in_configuration_is_ignored()
    {
        await using var node = await HourdiniServer.StartNodeAsync(server.ConnectionString, new() { ["Hourdini:Limits:SignInPerMinute"] = "3" });

        var replies = new List<Reply>();
        for (var i = 0; i < 5; i++)
        {
            // A client on this machine (a loopback peer) rotating the header it sends.
            replies.Add(await LoginAttemptAsync(node.BaseAddress, NewEmail(), "guess", forwardedFor: $"192.0.2.{i}"));
        }

        Assert.All(replies.Skip(3), r => r.ExpectProblem(HttpStatusCode.TooManyRequests, "rate_limited"));
    }

    private static async Task<TimeSpan> FastestAsync(Func<Task<Reply>> attempt)
    {
        var fastest = TimeSpan.MaxValue;
        for (var i = 0; i < 4; i++)
        {
            var clock = Stopwatch.StartNew();
            await attempt();
            fastest = TimeSpan.FromTicks(Math.Min(fastest.Ticks, clock.Elapsed.Ticks));
        }

        return fastest;
    }

    private static string NewEmail() => $"user-{Guid.NewGuid():N}@example.com";

    private static async Task<Reply> LoginAttemptAsync(Uri node, string email, string password, string? forwardedFor = null)
    {
        using var anonymous = ApiClient.Anonymous(node);
        if (forwardedFor is not null)
        {
            anonymous.Http.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        }

        return await anonymous.PostAsync("/api/v1/auth/login", new { email, password });
    }

    /// <summary>Signs up and returns the session cookie as a browser would send it, so a test can replay a captured copy.</summary>
    private static async Task<string> SignUpAsync(Uri node, string email) =>
        CookieOf(await Send(node, HttpMethod.Post, "/api/v1/auth/signup", null, new { email, password = Password, name = "Test User" }));

    private static async Task<string> LoginAsync(Uri node, string email, string password) =>
        CookieOf(await Send(node, HttpMethod.Post, "/api/v1/auth/login", null, new { email, password }));

    private static string CookieOf(HttpResponseMessage response)
    {
        response.EnsureSuccessStatusCode();
        return string.Join("; ", response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
    }

    private static async Task<HttpResponseMessage> Send(Uri node, HttpMethod method, string path, string? cookie, object? body = null)
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = node };
        var request = new HttpRequestMessage(method, path);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }
}
