using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Hourdini.Grains.Users;
using Hourdini.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace Hourdini.Api.Tests;

/// <summary>
/// Issue 24, item 8: the smaller gaps. Pages confine the browser (CSP, no framing, no referrer to other sites), one user
/// cannot hold unbounded live-update streams, <c>/mcp</c> refuses other sites' pages and host names (DNS rebinding), and
/// an expected refusal (409 <c>concurrent_change</c>) is not logged as an error.
/// </summary>
public sealed class ExposureTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Theory]
    [InlineData("/login")]
    [InlineData("/api/v1/me")]
    public async Task Every_answer_carries_headers_that_confine_the_browser(string path)
    {
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };

        using var response = await anonymous.GetAsync(path);

        var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.Equal("DENY", string.Join(",", response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("same-origin", string.Join(",", response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task One_user_cannot_hold_more_live_update_streams_than_allowed()
    {
        await using var node = await HourdiniServer.StartNodeAsync(server.ConnectionString, new() { ["Hourdini:Limits:EventStreamsPerUser"] = "2" });
        var (pat, _, _) = await ApiClient.SignUpAsync(node.BaseAddress);

        using var first = await OpenStreamAsync(pat);
        using var second = await OpenStreamAsync(pat);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        using (var third = await OpenStreamAsync(pat))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Contains("too_many_streams", await third.Content.ReadAsStringAsync());
            Assert.NotNull(third.Headers.RetryAfter);
        }

        // A closed tab frees its place.
        first.Dispose();
        HttpResponseMessage? again = null;
        for (var i = 0; i < 50 && again?.StatusCode != HttpStatusCode.OK; i++)
        {
            again?.Dispose();
            await Task.Delay(100);
            again = await OpenStreamAsync(pat);
        }

        Assert.Equal(HttpStatusCode.OK, again!.StatusCode);
        again.Dispose();
    }

    [Theory]
    [InlineData("Origin", "http://evil.example")]
    [InlineData("Origin", "null")]
    [InlineData("Host", "evil.example")]
    public async Task Mcp_refuses_pages_of_other_sites_and_foreign_host_names(string header, string value)
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        using var request = McpRequest();
        request.Headers.Remove(header);
        request.Headers.TryAddWithoutValidation(header, value);

        using var response = await pat.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("origin_refused", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Mcp_answers_programs_and_its_own_origin()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        using var own = McpRequest();
        own.Headers.TryAddWithoutValidation("Origin", $"http://{server.BaseAddress.Authority}");
        using var program = McpRequest();

        using var fromOwnPage = await pat.Http.SendAsync(own);
        using var fromProgram = await pat.Http.SendAsync(program);

        Assert.Equal(HttpStatusCode.OK, fromOwnPage.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromProgram.StatusCode);
    }

    [Fact]
    public async Task A_lost_version_check_is_answered_409_and_not_logged_as_an_error()
    {
        var log = new ErrorLog();
        var stale = new StaleAt();
        await using var node = new HourdiniServer
        {
            ConfigureServices = services =>
            {
                services.AddSingleton<ITurnSteps>(stale);
                services.AddSingleton<ILoggerProvider>(log);
            },
        };
        await node.InitializeAsync();
        var (pat, _, _) = await ApiClient.SignUpAsync(node.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(), "Races");
        (await pat.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project })).Expect(HttpStatusCode.Created);

        stale.Armed = true;
        (await pat.PostAsync("/api/v1/sessions", new { project_id = project })).ExpectProblem(HttpStatusCode.Conflict, "concurrent_change");

        Assert.Empty(log.Errors);
    }

    private static HttpRequestMessage McpRequest() => new(HttpMethod.Post, "/mcp")
    {
        Content = new StringContent(
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""",
            Encoding.UTF8, "application/json"),
        Headers = { Accept = { new MediaTypeWithQualityHeaderValue("application/json"), new MediaTypeWithQualityHeaderValue("text/event-stream") } },
    };

    private static Task<HttpResponseMessage> OpenStreamAsync(ApiClient client) =>
        client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/app/events"), HttpCompletionOption.ResponseHeadersRead);

    /// <summary>Every turn that reaches a step while armed loses its version check, as a write racing another would.</summary>
    private sealed class StaleAt : ITurnSteps
    {
        public bool Armed { get; set; }

        public void Reached(string step)
        {
            if (Armed)
            {
                throw new InconsistentStateException("Simulated lost version check.");
            }
        }
    }

    private sealed class ErrorLog : ILoggerProvider
    {
        public List<string> Errors { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(ErrorLog log, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel >= LogLevel.Error)
                {
                    lock (log.Errors)
                    {
                        log.Errors.Add($"{category}: {formatter(state, exception)} {exception?.GetType().Name}");
                    }
                }
            }
        }
    }
}
