using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hourdini.Silo.Webhooks;
using Hourdini.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hourdini.Mcp.Tests;

/// <summary>
/// R33 from the terminal: <c>hourdini webhook list|add|remove|deliveries</c>. The receivers listen on loopback, which the
/// server allows here only by <c>Hourdini:Webhooks:AllowLoopback</c> (a name would need DNS, and private addresses are refused).
/// </summary>
public sealed partial class WebhookCliTests(WebhookCliTests.Node node) : IClassFixture<WebhookCliTests.Node>, IDisposable
{
    /// <summary>A server that allows loopback receivers and looks for due deliveries every 50 ms.</summary>
    public sealed class Node : IAsyncLifetime
    {
        public HourdiniServer Server { get; } = new();

        public Task InitializeAsync()
        {
            Server.Settings["Hourdini:Webhooks:AllowLoopback"] = "true";
            Server.Settings["Hourdini:Webhooks:PollInterval"] = "00:00:00.050";
            return Server.InitializeAsync();
        }

        public Task DisposeAsync() => Server.DisposeAsync();
    }

    private readonly string config = Directory.CreateTempSubdirectory("hourdini-cli-webhook-").FullName;

    [Fact]
    public async Task A_webhook_is_added_with_its_secret_shown_once_listed_and_removed_by_the_id_the_table_shows() // R33
    {
        await using var receiver = await Receiver.StartAsync();
        var (human, _) = await SignedInAsync();

        var added = await Run("--format", "table", "webhook", "add", receiver.Url, "--event", "session.started", "--event", "entry.created");
        Assert.True(added.Exit == 0, added.Err);
        var secret = Secret().Match(added.Out).Value;
        Assert.NotEmpty(secret);
        Assert.Contains("shown only once", added.Out);
        var id = Assert.Single(await WebhooksAsync(human)).Str("id");
        Assert.Contains($"Added webhook {id} for {receiver.Url} (session.started, entry.created).", added.Out);

        // Piped: the id and the secret on standard output for a script to keep, the note on standard error; by default every
        // event the server offers (the CLI keeps its own list for its help and checks: this catches it falling behind).
        var piped = await Run("webhook", "add", receiver.Url);
        Assert.True(piped.Exit == 0, piped.Err);
        var row = Row(piped.Out);
        Assert.Matches(Secret(), row[1]);
        Assert.Contains("shown only once", piped.Err);
        var all = (await WebhooksAsync(human)).Single(w => w.Str("id") == row[0]);
        Assert.Equal(WebhookEvents.All, all.GetProperty("events").EnumerateArray().Select(e => e.GetString()));

        // The list names each webhook; the secret is never shown again.
        var list = await Run("webhook", "list");
        Assert.True(list.Exit == 0, list.Err);
        var rows = list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
        Assert.Equal([id, row[0]], rows.Select(r => r[0]));
        Assert.Equal([receiver.Url, "session.started,entry.created"], rows[0][1..3]);
        Assert.Equal("ok", rows[0][4]);
        var table = await Run("--format", "table", "webhook", "list");
        Assert.Contains(id[^8..], table.Out);
        Assert.DoesNotContain(id, table.Out); // whole ids are for scripts
        Assert.Contains("all", table.Out);
        Assert.All(table.Out.Split('\n'), line => Assert.True(line.Length <= 80, line));
        var json = await Run("--json", "webhook", "list");
        Assert.Equal(2, JsonDocument.Parse(json.Out).RootElement.GetProperty("webhooks").GetArrayLength());
        foreach (var shown in new[] { list.Out, table.Out, json.Out })
        {
            Assert.DoesNotContain(secret, shown);
            Assert.DoesNotContain(row[1], shown);
        }

        var removed = await Run("webhook", "remove", id[^8..]);
        Assert.True(removed.Exit == 0, removed.Err);
        Assert.Equal($"Webhook {id} removed; nothing more is sent to it.", removed.Out.Trim());
        Assert.Equal(row[0], Assert.Single(await WebhooksAsync(human)).Str("id"));

        var again = await Run("webhook", "remove", id);
        Assert.Equal(1, again.Exit);
        Assert.StartsWith("error (not_found): ", Assert.Single(again.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task Deliveries_list_each_event_with_its_status_attempts_and_last_status_code() // R33
    {
        await using var receiver = await Receiver.StartAsync();
        var (human, project) = await SignedInAsync();
        var added = await Run("webhook", "add", receiver.Url, "--event", "session.started");
        Assert.True(added.Exit == 0, added.Err);
        var id = Row(added.Out)[0];

        var none = await Run("webhook", "deliveries", id[^8..]);
        Assert.True(none.Exit == 0, none.Err);
        Assert.Empty(none.Out);

        await human.StartSessionAsync(project);
        // The receiver has its answer a moment before the server records it.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        string[] delivery;
        while ((delivery = Row((await Run("webhook", "deliveries", id[^8..])).Out, orEmpty: true)) is not ["session.started", "delivered", ..])
        {
            Assert.True(DateTime.UtcNow < deadline, $"No delivered row within 20 s: {string.Join('\t', delivery)}");
            await Task.Delay(100);
        }

        Assert.Equal(["1", "200"], delivery[2..4]);
        Assert.Equal(1, receiver.Got);
        var table = await Run("--format", "table", "webhook", "deliveries", id);
        Assert.True(table.Exit == 0, table.Err);
        Assert.Contains("Attempts", table.Out);
        Assert.Contains("session.started", table.Out);
        Assert.All(table.Out.Split('\n'), line => Assert.True(line.Length <= 80, line));

        var wrong = await Run("webhook", "deliveries", id, "--limit", "0");
        Assert.Equal(2, wrong.Exit);
        Assert.Contains("--limit must be a whole number from 1 to 200", wrong.Err);
    }

    [Fact]
    public async Task A_url_that_is_not_http_or_an_unknown_event_is_a_usage_error_and_a_private_address_the_servers_refusal() // R33
    {
        foreach (var (args, expected) in new[]
        {
            (new[] { "webhook", "add", "hooks.example.com/hourdini" }, "'hooks.example.com/hourdini' is not an http(s) URL"),
            (new[] { "webhook", "add", "https://203.0.113.10/hook", "--event", "entry.deleted" }, "'entry.deleted'"),
        })
        {
            var wrong = await Run(args);
            Assert.Equal(2, wrong.Exit);
            var line = Assert.Single(wrong.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(expected, line);
            Assert.Contains("hourdini webhook add --help", line);
        }

        var (human, _) = await SignedInAsync();
        var refused = await Run("webhook", "add", "http://10.0.0.5/hook");
        Assert.Equal(1, refused.Exit);
        Assert.StartsWith("error (webhook_url_refused): ", Assert.Single(refused.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Empty(refused.Out);
        Assert.Empty(await WebhooksAsync(human));
    }

    [Fact]
    public async Task An_agent_token_gets_the_servers_refusal_for_webhooks_with_exit_1() // R33: owners only; R22
    {
        await using var receiver = await Receiver.StartAsync();
        var (human, _) = await SignedInAsync();
        var (_, agent) = await human.CreateAgentAsync();
        Assert.Equal(0, (await Run("login", "--url", node.Server.BaseAddress.ToString(), "--token", agent.Token())).Exit);

        foreach (var args in new[] { new[] { "webhook", "list" }, ["webhook", "add", receiver.Url] })
        {
            var refused = await Run(args);
            Assert.Equal(1, refused.Exit);
            Assert.StartsWith("error (agent_not_allowed): ", Assert.Single(refused.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
            Assert.Empty(refused.Out);
        }

        Assert.Empty(await WebhooksAsync(human));
    }

    /// <summary>A new org with a project, and the CLI signed in as its owner.</summary>
    private async Task<(ApiClient Human, string Project)> SignedInAsync()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(node.Server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync("Umbrella"), "Vaccine portal");
        Assert.Equal(0, (await Run("login", "--url", node.Server.BaseAddress.ToString(), "--token", human.Token())).Exit);
        return (human, project);
    }

    private static async Task<List<JsonElement>> WebhooksAsync(ApiClient human) =>
        [.. (await human.GetAsync("/api/v1/webhooks")).Expect(HttpStatusCode.OK)["webhooks"].EnumerateArray()];

    /// <summary>The one tab-separated row a piped command printed (none, with <paramref name="orEmpty"/>, is an empty row).</summary>
    private static string[] Row(string tsv, bool orEmpty = false)
    {
        var lines = tsv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return orEmpty && lines.Length == 0 ? [] : Assert.Single(lines).TrimEnd('\r').Split('\t');
    }

    [GeneratedRegex("whsec_[0-9a-f]{64}")]
    private static partial Regex Secret();

    private Task<(int Exit, string Out, string Err)> Run(params string[] args) => Cli.RunAsync(config, args);

    public void Dispose() => Directory.Delete(config, recursive: true);

    /// <summary>A webhook receiver on a loopback port that answers 200 and counts what it gets.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private int got;

        private WebApplication app = null!;

        public int Got => Volatile.Read(ref got);

        public string Url { get; private set; } = "";

        public static async Task<Receiver> StartAsync()
        {
            var receiver = new Receiver();
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            receiver.app = builder.Build();
            receiver.app.MapPost("/hook", () =>
            {
                Interlocked.Increment(ref receiver.got);
                return Results.Ok();
            });
            await receiver.app.StartAsync();
            receiver.Url = $"{receiver.app.Urls.First()}/hook";
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
