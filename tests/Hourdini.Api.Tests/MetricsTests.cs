using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// Issue 28, item 3: <c>/metrics</c> (Prometheus) shows the requests the node served per route, Hourdini's group-commit
/// measures and Orleans' and Npgsql's meters; it answers this machine, or a scraper with the metrics token, and nobody else.
/// </summary>
public sealed class MetricsTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task A_scrape_from_this_machine_shows_the_requests_served_and_the_group_commits()
    {
        var (pat, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(), "Measured");
        await pat.StartSessionAsync(project); // a grain write, through the group committer

        using var scraper = new HttpClient { BaseAddress = server.BaseAddress };
        string text = "";
        for (var i = 0; i < 20 && !(text.Contains("api/v1/sessions") && text.Contains("hourdini_storage_group_size")); i++)
        {
            await Task.Delay(i == 0 ? 0 : 300); // the exporter caches a scrape for a moment
            var response = await scraper.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            text = await response.Content.ReadAsStringAsync();
        }

        Assert.Contains("http_server_request_duration_seconds_bucket", text);
        Assert.Matches("http_route=\"/api/v1/sessions/?\"", text);
        Assert.Contains("hourdini_storage_group_size", text);
        Assert.Contains("hourdini_storage_group_wait_milliseconds", text);
    }

    [Fact]
    public async Task Another_address_needs_the_metrics_token()
    {
        await using var node = await HourdiniServer.StartNodeAsync(server.ConnectionString, new()
        {
            ["Hourdini:Limits:TrustedProxies:0"] = "127.0.0.1",
            ["Hourdini:Metrics:Token"] = "scrape-secret",
        });
        using var remote = new HttpClient { BaseAddress = node.BaseAddress };
        remote.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.9"); // through the named proxy, from elsewhere

        Assert.Equal(HttpStatusCode.Forbidden, (await remote.GetAsync("/metrics")).StatusCode);
        remote.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "wrong");
        Assert.Equal(HttpStatusCode.Forbidden, (await remote.GetAsync("/metrics")).StatusCode);
        remote.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "scrape-secret");
        Assert.Equal(HttpStatusCode.OK, (await remote.GetAsync("/metrics")).StatusCode);
    }
}
