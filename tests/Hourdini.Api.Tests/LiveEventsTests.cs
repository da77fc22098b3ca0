using System.Net;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// The web app's live stream (/app/events): a change committed on any node reaches the user's
/// open pages through PostgreSQL NOTIFY (sent by the node after its commit), and only that user's.
/// </summary>
public class LiveEventsTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task A_session_started_on_another_node_wakes_the_users_stream_and_not_another_users()
    {
        var (pat, browser, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (_, stranger, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(), "Live");
        await using var otherNode = await HourdiniServer.StartNodeAsync(server.ConnectionString);
        using var patOnOtherNode = ApiClient.WithToken(otherNode.BaseAddress, pat.Http.DefaultRequestHeaders.Authorization!.Parameter!);

        using var mine = await OpenAsync(browser);
        using var theirs = await OpenAsync(stranger);
        (await patOnOtherNode.PostAsync("/api/v1/sessions", new { project_id = project, description = "seen live" })).Expect(HttpStatusCode.Created);

        Assert.Equal("event: change", await NextEventAsync(mine, TimeSpan.FromSeconds(30)));
        Assert.Null(await NextEventAsync(theirs, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task A_manual_entry_added_on_another_node_wakes_the_users_stream()
    {
        // Entries change outside any grain turn; the store announces them after its commit.
        var (pat, browser, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await pat.CreateProjectAsync(await pat.CreateClientAsync(), "Backfill");
        await using var otherNode = await HourdiniServer.StartNodeAsync(server.ConnectionString);
        using var patOnOtherNode = ApiClient.WithToken(otherNode.BaseAddress, pat.Http.DefaultRequestHeaders.Authorization!.Parameter!);

        using var mine = await OpenAsync(browser);
        var start = DateTimeOffset.UtcNow.AddHours(-2);
        (await patOnOtherNode.PostAsync("/api/v1/time-entries", new
        {
            project_id = project,
            started_at = start,
            duration_seconds = 1800,
            description = "call with the client",
        })).Expect(HttpStatusCode.Created);

        Assert.Equal("event: change", await NextEventAsync(mine, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task The_stream_needs_a_signed_in_caller()
    {
        using var anonymous = ApiClient.Anonymous(server.BaseAddress);
        var reply = await anonymous.GetAsync("/app/events");
        reply.ExpectProblem(HttpStatusCode.Unauthorized, "unauthorized");
    }

    private static async Task<StreamReader> OpenAsync(ApiClient client)
    {
        var response = await client.Http.GetAsync("/app/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("retry: 2000", await reader.ReadLineAsync());
        return reader;
    }

    /// <summary>The next "event:" line, skipping keep-alive comments; null if none comes within <paramref name="wait"/>.</summary>
    private static async Task<string?> NextEventAsync(StreamReader reader, TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return null;
    }
}
