using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hourdini.Silo.Webhooks;
using Hourdini.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hourdini.Api.Tests;

/// <summary>
/// R33: signed webhooks from a transactional outbox. Each test's receiver is a real HTTP server on loopback (allowed by
/// <c>Hourdini:Webhooks:AllowLoopback</c>); the retry schedule is shortened by settings, not by a fake clock.
/// </summary>
public class WebhooksTests(WebhooksTests.Node node) : IClassFixture<WebhooksTests.Node>
{
    /// <summary>A node with loopback receivers allowed and a schedule of milliseconds.</summary>
    public sealed class Node : IAsyncLifetime
    {
        public HourdiniServer Server { get; } = new();

        public async Task InitializeAsync()
        {
            foreach (var (key, value) in FastSchedule)
            {
                Server.Settings[key] = value;
            }

            await Server.InitializeAsync();
        }

        public Task DisposeAsync() => Server.DisposeAsync();
    }

    private static readonly Dictionary<string, string?> FastSchedule = new()
    {
        ["Hourdini:Webhooks:AllowLoopback"] = "true",
        ["Hourdini:Webhooks:PollInterval"] = "00:00:00.050",
        ["Hourdini:Webhooks:FirstBackoff"] = "00:00:00.100",
        ["Hourdini:Webhooks:MaxBackoff"] = "00:00:00.400",
        ["Hourdini:Webhooks:ClaimFor"] = "00:00:02",
        ["Hourdini:Webhooks:Timeout"] = "00:00:02",
    };

    private HourdiniServer Server => node.Server;

    [Fact]
    public async Task Every_event_reaches_the_receiver_once_with_a_signature_it_verifies() // R33
    {
        await using var receiver = await Receiver.StartAsync();
        var (api, _, _) = await ApiClient.SignUpAsync(Server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Hooked");
        var secret = await RegisterAsync(api, receiver.Url, WebhookEvents.All.ToArray());

        var session = (await api.StartSessionAsync(project)).Str("id");
        await Task.Delay(1050); // a session shorter than a second leaves no entry
        var sessionEntry = (await api.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK)["entry"].Str("id");
        var manual = (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-11-02T09:00:00Z", duration_seconds = 3600 }))
            .Expect(HttpStatusCode.Created)["time_entry"].Str("id");
        (await api.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{manual}", new { description = "renamed" })).Expect(HttpStatusCode.OK);

        var got = await receiver.WaitForAsync(5);
        Assert.Equal(
            ["entry.created", "entry.created", "entry.updated", "session.ended", "session.started"],
            got.Select(r => r.Event).Order(StringComparer.Ordinal));
        Assert.All(got, r =>
        {
            Assert.True(WebhookSignature.Verify(secret, r.Signature, r.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)), r.Signature);
            Assert.False(WebhookSignature.Verify("whsec_wrong", r.Signature, r.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
            using var body = JsonDocument.Parse(r.Body);
            Assert.Equal(r.DeliveryId, body.RootElement.Str("id"));
            Assert.Equal(r.Event, body.RootElement.Str("event"));
            Assert.True(body.RootElement.TryGetProperty("created_at", out _));
        });
        Assert.Equal(got.Count, got.Select(r => r.DeliveryId).Distinct().Count()); // exactly once each

        var ended = JsonDocument.Parse(got.Single(r => r.Event == "session.ended").Body).RootElement.GetProperty("data").GetProperty("session");
        Assert.Equal((session, "stopped", sessionEntry), (ended.Str("id"), ended.Str("status"), ended.Str("entry_id")));
        var updated = JsonDocument.Parse(got.Single(r => r.Event == "entry.updated").Body).RootElement.GetProperty("data").GetProperty("entry");
        Assert.Equal((manual, "renamed"), (updated.Str("id"), updated.Str("description")));

        // The list says so too (once the dispatcher has recorded what the receiver already has), and nothing more arrives.
        await EventuallyAsync(async () => (await DeliveriesAsync(api)).All(d => d.Str("status") == "delivered"));
        var deliveries = await DeliveriesAsync(api);
        Assert.Equal(5, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal(("delivered", 1, 200), (d.Str("status"), d.GetProperty("attempts").GetInt32(), d.GetProperty("last_status_code").GetInt32())));
        await Task.Delay(300);
        Assert.Equal(5, receiver.Got.Count);
    }

    [Fact]
    public async Task A_receiver_answering_500_keeps_getting_the_same_delivery_until_it_answers_2xx() // R33
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Answer = attempt => attempt <= 3 ? 500 : 204;
        var (api, _, _) = await ApiClient.SignUpAsync(Server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Flaky");
        await RegisterAsync(api, receiver.Url, ["session.started"]);

        await api.StartSessionAsync(project);

        var got = await receiver.WaitForAsync(4);
        Assert.Single(got.Select(r => r.DeliveryId).Distinct());
        Assert.Equal([500, 500, 500, 204], got.Select(r => r.Answered));
        // The receiver has its answer before the dispatcher records it (outcomes are recorded a batch at a time).
        await EventuallyAsync(async () => (await DeliveriesAsync(api, d => d.Str("status") == "delivered")).Count == 1);
        var delivery = Assert.Single(await DeliveriesAsync(api, d => d.Str("status") == "delivered"));
        Assert.Equal((4, 204), (delivery.GetProperty("attempts").GetInt32(), delivery.GetProperty("last_status_code").GetInt32()));
        // 3 < PauseAfter, and the 4th was delivered: the count starts again. It is counted in its own transaction after the
        // outcome is recorded (WebhookDispatcher.PauseOrResumeAsync), so the delivered status can be read a moment before it.
        await EventuallyAsync(async () => (await api.GetAsync("/api/v1/webhooks")).Expect(HttpStatusCode.OK)["webhooks"].EnumerateArray().Single()
            .GetProperty("failing_attempts").GetInt32() == 0);
        var webhook = (await api.GetAsync("/api/v1/webhooks")).Expect(HttpStatusCode.OK)["webhooks"].EnumerateArray().Single();
        Assert.Equal((0, JsonValueKind.Null), (webhook.GetProperty("failing_attempts").GetInt32(), webhook.GetProperty("paused_until").ValueKind));
    }

    [Fact]
    public async Task Deliveries_get_time_ordered_ids_so_the_outbox_key_grows_at_its_end() // R33; the write path's cost
    {
        await using var receiver = await Receiver.StartAsync();
        var (api, _, _) = await ApiClient.SignUpAsync(Server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Ordered");
        await RegisterAsync(api, receiver.Url, ["session.started", "session.ended", "entry.created"]);
        var session = (await api.StartSessionAsync(project)).Str("id");
        await Task.Delay(1100); // an entry needs a second
        (await api.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK);

        var ids = (await receiver.WaitForAsync(3)).Select(r => Guid.Parse(r.DeliveryId)).Distinct().ToList();
        Assert.Equal(3, ids.Count);
        Assert.All(ids, id => Assert.Equal(7, id.Version));
        var byId = ids.Order(Comparer<Guid>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()))).ToList();
        var byEvent = (await DeliveriesAsync(api)).OrderBy(d => d.GetProperty("created_at").GetDateTimeOffset())
            .ThenBy(d => d.Str("event") == "session.started" ? 0 : 1).Select(d => Guid.Parse(d.Str("id"))).ToList();
        Assert.Equal(byEvent[0], byId[0]); // the session's start came first, in time and in key order
    }

    [Fact]
    public async Task The_outbox_depth_and_each_attempts_outcome_are_scraped_at_metrics() // R33, issue 28 item 3
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Answer = _ => 500;
        var (api, _, _) = await ApiClient.SignUpAsync(Server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Measured hooks");
        await RegisterAsync(api, receiver.Url, ["session.started"]);
        await api.StartSessionAsync(project);
        await receiver.WaitForAsync(2);

        using var scraper = new HttpClient { BaseAddress = Server.BaseAddress };
        async Task<double?> Figure(string pattern)
        {
            var text = await scraper.GetStringAsync("/metrics");
            var match = Regex.Match(text, "^" + pattern + @"(\{[^}]*\})? ([0-9.e+]+)", RegexOptions.Multiline);
            return match.Success ? double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : null;
        }

        // While the receiver fails, its delivery waits in the outbox and every attempt counts as a retry.
        await EventuallyAsync(async () => await Figure("hourdini_webhooks_outbox_pending") >= 1);
        await EventuallyAsync(async () => await Figure(@"hourdini_webhooks_attempts_total\{[^}]*outcome=""retry""[^}]*\}") >= 1);
        Assert.NotNull(await Figure("hourdini_webhooks_outbox_due"));
        Assert.NotNull(await Figure("hourdini_webhooks_outbox_oldest_due_age_seconds"));

        receiver.Answer = _ => 204;
        await EventuallyAsync(async () => await Figure(@"hourdini_webhooks_attempts_total\{[^}]*outcome=""delivered""[^}]*\}") >= 1);
    }

    [Fact]
    public async Task A_receiver_that_was_down_gets_everything_once_it_is_back() // R33
    {
        await using var receiver = await Receiver.StartAsync();
        var (api, _, _) = await ApiClient.SignUpAsync(Server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Outage");
        await RegisterAsync(api, receiver.Url, ["session.started", "session.ended"]);
        await receiver.StopAsync();

        for (var i = 0; i < 3; i++)
        {
            var session = (await api.StartSessionAsync(project, $"while down {i}")).Str("id");
            (await api.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK);
        }

        // Down for a while: attempts fail and are rescheduled, none is lost.
        await EventuallyAsync(async () => (await DeliveriesAsync(api)).Count(d => d.GetProperty("attempts").GetInt32() >= 2) == 6);
        var pending = await DeliveriesAsync(api);
        Assert.All(pending, d => Assert.Equal("pending", d.Str("status")));
        Assert.All(pending, d => Assert.False(string.IsNullOrEmpty(d.Str("last_error"))));

        await receiver.StartAgainAsync();
        var got = await receiver.WaitForAsync(6);
        Assert.Equal(6, got.Select(r => r.DeliveryId).Distinct().Count());
        await EventuallyAsync(async () => (await DeliveriesAsync(api)).All(d => d.Str("status") == "delivered"));
    }

    [Fact]
    public async Task A_failed_attempt_says_what_went_wrong_down_to_its_cause() // R33: the deliveries list is the owner's only view
    {
        await using var receiver = await Receiver.StartAsync();
        var (api, _, _) = await ApiClient.SignUpAsync(Server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "TLS");
        await RegisterAsync(api, receiver.Url.Replace("http://", "https://"), ["session.started"]); // a receiver that does not speak TLS
        await api.StartSessionAsync(project, "over https");

        await EventuallyAsync(async () => (await DeliveriesAsync(api)).Any(d => !string.IsNullOrEmpty(d.Str("last_error"))));
        var error = (await DeliveriesAsync(api)).Single().Str("last_error");
        Assert.StartsWith("The SSL connection could not be established: ", error);
        Assert.DoesNotContain("inner exception", error);
    }

    [Fact]
    public async Task A_rolled_back_change_sends_nothing() // R33
    {
        await using var receiver = await Receiver.StartAsync();
        var (api, _, _) = await ApiClient.SignUpAsync(Server.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Undone");
        await RegisterAsync(api, receiver.Url, ["entry.updated", "entry.created"]);
        var entry = (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-11-02T09:00:00Z", duration_seconds = 60 }))
            .Expect(HttpStatusCode.Created)["time_entry"].Str("id");
        await receiver.WaitForAsync(1);

        // The change writes its outbox row in its own transaction, and the rollback takes both away.
        await using (var db = await Server.OpenDatabaseAsync())
        {
            await using var transaction = await db.BeginTransactionAsync();
            await Sql(db, $"UPDATE time_entries SET description = 'never' WHERE id = '{entry}'");
            Assert.Equal(1L, await Sql(db, $"SELECT count(*) FROM webhook_deliveries WHERE event = 'entry.updated' AND data->'entry'->>'id' = '{entry}'"));
            await transaction.RollbackAsync();
            Assert.Equal(0L, await Sql(db, $"SELECT count(*) FROM webhook_deliveries WHERE event = 'entry.updated' AND data->'entry'->>'id' = '{entry}'"));
        }

        // A later change is delivered, and nothing of the rolled-back one came before it.
        (await api.SendAsync(HttpMethod.Patch, $"/api/v1/time-entries/{entry}", new { description = "kept" })).Expect(HttpStatusCode.OK);
        var got = await receiver.WaitForAsync(2);
        Assert.Equal(["entry.created", "entry.updated"], got.Select(r => r.Event));
        Assert.DoesNotContain(got, r => Encoding.UTF8.GetString(r.Body).Contains("never", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://172.16.0.9/hook")]
    [InlineData("https://192.168.1.1/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[fd00::1]/hook")]
    [InlineData("http://[fe80::1]/hook")]
    [InlineData("http://[::ffff:10.0.0.1]/hook")]
    [InlineData("http://0.0.0.0/hook")]
    [InlineData("http://224.0.0.1/hook")]
    public async Task Private_link_local_and_reserved_addresses_are_refused_at_registration(string url) // R33: no SSRF
    {
        var (api, _, _) = await ApiClient.SignUpAsync(Server.BaseAddress);
        (await api.PostAsync("/api/v1/webhooks", new { url, events = new[] { "session.started" } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, WebhookAddressGuard.RefusedCode);
        Assert.Empty((await api.GetAsync("/api/v1/webhooks")).Expect(HttpStatusCode.OK)["webhooks"].EnumerateArray());
    }

    [Fact]
    public async Task Registration_checks_the_url_and_the_events_and_shows_the_secret_once() // R33
    {
        var (api, _, _) = await ApiClient.SignUpAsync(Server.BaseAddress);
        (await api.PostAsync("/api/v1/webhooks", new { url = "ftp://example.com/x", events = new[] { "session.started" } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        (await api.PostAsync("/api/v1/webhooks", new { url = "http://127.0.0.1:9/x", events = new[] { "entry.deleted" } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "unknown_event");
        (await api.PostAsync("/api/v1/webhooks", new { url = "http://127.0.0.1:9/x", events = Array.Empty<string>() }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");

        var created = (await api.PostAsync("/api/v1/webhooks", new { url = "http://127.0.0.1:9/x", events = new[] { "entry.created", "session.ended", "entry.created" } }))
            .Expect(HttpStatusCode.Created);
        Assert.StartsWith("whsec_", created["secret"].GetString());
        var webhook = created["webhook"];
        Assert.Equal(["session.ended", "entry.created"], webhook.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        var listed = Assert.Single((await api.GetAsync("/api/v1/webhooks")).Expect(HttpStatusCode.OK)["webhooks"].EnumerateArray());
        Assert.Equal(webhook.Str("id"), listed.Str("id"));
        Assert.DoesNotContain("secret", listed.GetRawText(), StringComparison.Ordinal);

        (await api.SendAsync(HttpMethod.Delete, $"/api/v1/webhooks/{webhook.Str("id")}")).Expect(HttpStatusCode.NoContent);
        (await api.SendAsync(HttpMethod.Delete, $"/api/v1/webhooks/{webhook.Str("id")}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Only_an_owner_manages_webhooks_and_only_their_orgs() // R33
    {
        var (owner, _, _) = await ApiClient.SignUpAsync(Server.BaseAddress);
        var id = (await owner.PostAsync("/api/v1/webhooks", new { url = "http://127.0.0.1:9/x", events = new[] { "session.started" } }))
            .Expect(HttpStatusCode.Created)["webhook"].Str("id");
        var (member, _, _) = await owner.AddPersonAsync("member");
        var (viewer, _, _) = await owner.AddPersonAsync("viewer");
        var (_, agent) = await owner.CreateAgentAsync();
        foreach (var caller in new[] { member, viewer, agent })
        {
            (await caller.GetAsync("/api/v1/webhooks")).Expect(HttpStatusCode.Forbidden);
            (await caller.PostAsync("/api/v1/webhooks", new { url = "http://127.0.0.1:9/x", events = new[] { "session.started" } })).Expect(HttpStatusCode.Forbidden);
            (await caller.GetAsync($"/api/v1/webhooks/{id}/deliveries")).Expect(HttpStatusCode.Forbidden);
            (await caller.SendAsync(HttpMethod.Delete, $"/api/v1/webhooks/{id}")).Expect(HttpStatusCode.Forbidden);
        }

        var (stranger, _, _) = await ApiClient.SignUpAsync(Server.BaseAddress);
        Assert.Empty((await stranger.GetAsync("/api/v1/webhooks")).Expect(HttpStatusCode.OK)["webhooks"].EnumerateArray());
        (await stranger.GetAsync($"/api/v1/webhooks/{id}/deliveries")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await stranger.SendAsync(HttpMethod.Delete, $"/api/v1/webhooks/{id}")).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        Assert.Single((await owner.GetAsync("/api/v1/webhooks"))["webhooks"].EnumerateArray());
    }

    [Fact]
    public async Task An_address_that_is_refused_at_delivery_is_never_reached() // R33: DNS rebinding
    {
        // A node that does not allow loopback, and a webhook that points there anyway: as if its name resolved to a
        // public address when it was registered and to this host now.
        await using var strict = await HourdiniServer.StartNodeAsync(
            await (await PostgresCluster.GetAsync()).CreateDatabaseAsync(),
            new(FastSchedule) { ["Hourdini:Webhooks:AllowLoopback"] = "false" });
        await using var receiver = await Receiver.StartAsync();
        var (api, _, _) = await ApiClient.SignUpAsync(strict.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Rebound");
        (await api.PostAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "session.started" } }))
            .ExpectProblem(HttpStatusCode.UnprocessableEntity, WebhookAddressGuard.RefusedCode);
        await using (var db = await strict.OpenDatabaseAsync())
        {
            await Sql(db, $"""
                INSERT INTO webhooks (org_id, id, url, events, secret, created_by, created_at)
                SELECT org_id, gen_random_uuid(), '{receiver.Url}', ARRAY['session.started'], 'whsec_x', user_id, now() FROM memberships
                """);
        }

        await api.StartSessionAsync(project);

        await EventuallyAsync(async () => (await DeliveriesAsync(api)).Any(d => d.GetProperty("attempts").GetInt32() >= 2));
        var delivery = Assert.Single(await DeliveriesAsync(api));
        Assert.Equal("pending", delivery.Str("status"));
        Assert.StartsWith(WebhookAddressGuard.RefusedCode, delivery.Str("last_error"));
        Assert.Empty(receiver.Got);
    }

    [Fact]
    public async Task Deliveries_still_failing_after_the_retry_period_are_marked_failed() // R33
    {
        await using var node = await HourdiniServer.StartNodeAsync(
            await (await PostgresCluster.GetAsync()).CreateDatabaseAsync(),
            // Long enough that the first attempt (due 0.1 s after the event, but late on a busy machine) leaves time for a retry.
            new(FastSchedule) { ["Hourdini:Webhooks:RetryFor"] = "00:00:03" });
        await using var receiver = await Receiver.StartAsync();
        receiver.Answer = _ => 503;
        var (api, _, _) = await ApiClient.SignUpAsync(node.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Hopeless");
        await RegisterAsync(api, receiver.Url, ["session.started"]);

        await api.StartSessionAsync(project);

        await EventuallyAsync(async () => (await DeliveriesAsync(api)).SingleOrDefault().ValueKind == JsonValueKind.Object
            && (await DeliveriesAsync(api)).Single().Str("status") == "failed");
        var failed = (await DeliveriesAsync(api)).Single();
        Assert.Equal(503, failed.GetProperty("last_status_code").GetInt32());
        Assert.True(failed.GetProperty("attempts").GetInt32() >= 2);
        var attempts = receiver.Got.Count;
        await Task.Delay(500);
        Assert.Equal(attempts, receiver.Got.Count); // failed is final
    }

    [Fact]
    public async Task A_node_stopped_between_commit_and_delivery_loses_no_event() // R33
    {
        await using var receiver = await Receiver.StartAsync();

        // The first node looks for deliveries once, at start, and then not for an hour: what it commits after that is
        // still in the outbox when it stops.
        var (secret, got) = await CommitOnOneNodeThenSendFromAnotherAsync(
            receiver, new(FastSchedule) { ["Hourdini:Webhooks:PollInterval"] = "01:00:00" }, _ => Task.CompletedTask);
        Assert.All(got, r => Assert.True(WebhookSignature.Verify(secret, r.Signature, r.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5))));
    }

    [Fact]
    public async Task A_node_that_does_not_dispatch_writes_the_outbox_and_leaves_the_sending_to_one_that_does() // R33
    {
        await using var receiver = await Receiver.StartAsync();

        // An API node with Dispatch off (docs/WEBHOOKS.md, "Where the sending runs"): the changes' deliveries wait.
        await CommitOnOneNodeThenSendFromAnotherAsync(receiver, new(FastSchedule) { ["Hourdini:Webhooks:Dispatch"] = "false" }, async api =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1)); // twenty of the schedule's poll intervals
            Assert.Empty(receiver.Got);
            Assert.Equal(["pending", "pending"], (await DeliveriesAsync(api)).Select(d => d.Str("status")));
        });
    }

    /// <summary>
    /// A session started and ended through a node with <paramref name="settings"/> (its webhook on both session events),
    /// <paramref name="whileRunning"/>, that node stopped with nothing sent, then a dispatching node on the same database:
    /// the receiver gets both events.
    /// </summary>
    private static async Task<(string Secret, List<Received> Got)> CommitOnOneNodeThenSendFromAnotherAsync(
        Receiver receiver, Dictionary<string, string?> settings, Func<ApiClient, Task> whileRunning)
    {
        var database = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync();
        var first = await HourdiniServer.StartNodeAsync(database, settings);
        var (api, _, _) = await ApiClient.SignUpAsync(first.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Handed over");
        var secret = await RegisterAsync(api, receiver.Url, ["session.started", "session.ended"]);
        var session = (await api.StartSessionAsync(project)).Str("id");
        (await api.PostAsync($"/api/v1/sessions/{session}/end")).Expect(HttpStatusCode.OK);
        await whileRunning(api);
        await first.DisposeAsync();
        Assert.Empty(receiver.Got);

        await using var second = await HourdiniServer.StartNodeAsync(database, FastSchedule);
        var got = await receiver.WaitForAsync(2);
        Assert.Equal(["session.ended", "session.started"], got.Select(r => r.Event).Order(StringComparer.Ordinal));
        return (secret, got);
    }

    [Fact]
    public async Task A_receiver_that_keeps_failing_is_paused_and_new_events_wait_until_the_pause_ends() // R33
    {
        // Three failures in a row pause the webhook for 4-8 s (a pause is randomised like a retry, and doubles up to the cap).
        await using var failing = await FailingReceiverAsync(new()
        {
            ["Hourdini:Webhooks:PauseAfter"] = "3", ["Hourdini:Webhooks:FirstBackoff"] = "00:00:08", ["Hourdini:Webhooks:MaxBackoff"] = "00:00:08",
        });
        var (single, receiver, api) = failing;
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Down");
        for (var i = 0; i < 3; i++)
        {
            await api.StartSessionAsync(project);
        }

        using var db = await single.OpenDatabaseAsync();
        await EventuallyAsync(async () => await Sql(db, "SELECT count(*) FROM webhooks WHERE paused_until > now()") is 1L);
        var tried = receiver.Got.Count;
        var paused = (await api.GetAsync("/api/v1/webhooks")).Expect(HttpStatusCode.OK)["webhooks"].EnumerateArray().Single();
        Assert.InRange(paused.GetProperty("failing_attempts").GetInt32(), 3, tried);
        Assert.True(paused.GetProperty("paused_until").GetDateTimeOffset() > DateTimeOffset.UtcNow); // the owner sees it

        // An event during the pause is due when the pause ends, not at once; the deliveries already failing wait too.
        await api.StartSessionAsync(project);
        await Task.Delay(TimeSpan.FromMilliseconds(500)); // ten poll intervals
        Assert.Equal(tried, receiver.Got.Count);
        Assert.Equal(0L, await Sql(db, "SELECT count(*) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = 'pending' AND d.next_attempt_at < w.paused_until"));
        Assert.Equal(4L, await Sql(db, "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"));

        // The receiver is back: once the pause ends every delivery arrives, and the webhook's count starts again.
        receiver.Answer = _ => 204;
        await EventuallyAsync(async () => (await DeliveriesAsync(api)).All(d => d.Str("status") == "delivered") && (await DeliveriesAsync(api)).Count == 4);
        // The count is reset in its own transaction just after the outcomes are recorded (PauseOrResumeAsync).
        await EventuallyAsync(async () => await Sql(db, "SELECT consecutive_failures FROM webhooks") is 0);
        Assert.Equal("0|", await Sql(db, "SELECT consecutive_failures || '|' || coalesce(paused_until::text, '') FROM webhooks"));
        var resumed = (await api.GetAsync("/api/v1/webhooks")).Expect(HttpStatusCode.OK)["webhooks"].EnumerateArray().Single();
        Assert.Equal((0, JsonValueKind.Null), (resumed.GetProperty("failing_attempts").GetInt32(), resumed.GetProperty("paused_until").ValueKind));
    }

    [Fact]
    public async Task A_pause_that_outlasts_a_deliverys_retry_period_gives_it_its_last_try_at_the_deadline() // R33
    {
        // Retries start at 1 s; a delivery is retried for 4 s; one failure pauses the webhook.
        await using var failing = await FailingReceiverAsync(new()
        {
            ["Hourdini:Webhooks:PauseAfter"] = "1", ["Hourdini:Webhooks:FirstBackoff"] = "00:00:01", ["Hourdini:Webhooks:MaxBackoff"] = "01:00:00",
            ["Hourdini:Webhooks:RetryFor"] = "00:00:04",
        });
        var (single, receiver, api) = failing;
        using var db = await single.OpenDatabaseAsync();
        await Sql(db, "UPDATE webhooks SET pauses = 10"); // it has paused ten times before: the next pause is 8.5-17 minutes
        await api.StartSessionAsync(await api.CreateProjectAsync(await api.CreateClientAsync(), "Deadline"));

        // Its first try fails and pauses the webhook far past the delivery's deadline; it is tried once more at the deadline
        // (not after the pause), fails, and is marked failed.
        await EventuallyAsync(async () => (await DeliveriesAsync(api)).Single().Str("status") == "failed");
        Assert.Equal(2, receiver.Got.Count);
        Assert.Equal(1L, await Sql(db, "SELECT count(*) FROM webhooks WHERE paused_until > now() + interval '5 minutes'"));
    }

    [Fact]
    public async Task A_receiver_that_does_not_answer_holds_up_no_other_orgs_delivery() // R33
    {
        var database = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync();
        await using var silent = await Receiver.StartAsync();
        await using var answering = await Receiver.StartAsync();
        silent.Hold = true;

        // A minute to answer: the other org's delivery must not wait for it.
        await using var single = await HourdiniServer.StartNodeAsync(database,
            new(FastSchedule) { ["Hourdini:Webhooks:Timeout"] = "00:01:00", ["Hourdini:Webhooks:ClaimFor"] = "00:02:00" });
        var (stuck, _, _) = await ApiClient.SignUpAsync(single.BaseAddress);
        await RegisterAsync(stuck, silent.Url, ["session.started"]);
        await stuck.StartSessionAsync(await stuck.CreateProjectAsync(await stuck.CreateClientAsync(), "Silent receiver"));
        await silent.WaitForAsync(1);

        var (other, _, _) = await ApiClient.SignUpAsync(single.BaseAddress);
        await RegisterAsync(other, answering.Url, ["session.started"]);
        await other.StartSessionAsync(await other.CreateProjectAsync(await other.CreateClientAsync(), "Answering receiver"));
        var got = await answering.WaitForAsync(1); // within 20 s, while the first send still waits for its answer
        Assert.Equal("session.started", Assert.Single(got).Event);
        Assert.Equal(0, Assert.Single(silent.Got).Answered);
        await EventuallyAsync(async () => (await DeliveriesAsync(other)).Single().Str("status") == "delivered");
        silent.Hold = false;
    }

    [Fact]
    public async Task A_burst_to_a_receiver_that_does_not_answer_takes_only_its_webhooks_share_of_the_sends() // R33
    {
        var database = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync();
        await using var silent = await Receiver.StartAsync();
        await using var answering = await Receiver.StartAsync();
        silent.Hold = true;

        // Eight sends at once on this node, two per webhook; the silent receiver gets a burst of ten events.
        await using var single = await HourdiniServer.StartNodeAsync(database, new(FastSchedule)
        {
            ["Hourdini:Webhooks:Timeout"] = "00:01:00", ["Hourdini:Webhooks:ClaimFor"] = "00:02:00",
            ["Hourdini:Webhooks:BatchSize"] = "4", ["Hourdini:Webhooks:MaxInFlight"] = "8", ["Hourdini:Webhooks:PerWebhookInFlight"] = "2",
        });
        var (burst, _, _) = await ApiClient.SignUpAsync(single.BaseAddress);
        await RegisterAsync(burst, silent.Url, ["entry.created"]);
        var project = await burst.CreateProjectAsync(await burst.CreateClientAsync(), "Import");
        for (var day = 1; day <= 10; day++)
        {
            (await burst.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = $"2026-10-{day:00}T09:00:00Z", duration_seconds = 600 }))
                .Expect(HttpStatusCode.Created);
        }

        await silent.WaitForAsync(2);

        var (other, _, _) = await ApiClient.SignUpAsync(single.BaseAddress);
        await RegisterAsync(other, answering.Url, ["session.started"]);
        await other.StartSessionAsync(await other.CreateProjectAsync(await other.CreateClientAsync(), "Answering receiver"));
        Assert.Equal("session.started", Assert.Single(await answering.WaitForAsync(1)).Event);
        Assert.Equal(2, silent.Got.Count); // its share, still waiting for answers; the other eight wait their turn
        silent.Hold = false;
        await silent.WaitForAsync(10);
    }

    [Theory]
    [InlineData("BatchSize")]
    [InlineData("MaxInFlight")]
    [InlineData("PerWebhookInFlight")]
    [InlineData("PauseAfter")] // 0 would pause a webhook before any attempt failed
    public void A_send_size_of_none_is_refused_at_start_rather_than_leaving_the_outbox_unsent(string setting) // R33
    {
        var options = new WebhookOptions();
        typeof(WebhookOptions).GetProperty(setting)!.SetValue(options, 0);
        var refused = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains($"Hourdini:Webhooks:{setting}", refused.Message);
        new WebhookOptions().Validate(); // the defaults pass
    }

    [Fact]
    public async Task A_delivery_whose_node_stopped_while_sending_is_sent_by_another_once_its_claim_runs_out() // R33
    {
        var database = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync();
        await using var receiver = await Receiver.StartAsync();
        receiver.Hold = true; // the first attempt gets no answer: its node stops while waiting

        var first = await HourdiniServer.StartNodeAsync(database, FastSchedule);
        var (api, _, _) = await ApiClient.SignUpAsync(first.BaseAddress);
        var project = await api.CreateProjectAsync(await api.CreateClientAsync(), "Mid-send");
        await RegisterAsync(api, receiver.Url, ["session.started"]);
        await api.StartSessionAsync(project);
        await receiver.WaitForAsync(1);
        await first.DisposeAsync();

        receiver.Hold = false;
        await using var second = await HourdiniServer.StartNodeAsync(database, FastSchedule);
        var got = await receiver.WaitForAsync(2);
        Assert.Single(got.Select(r => r.DeliveryId).Distinct()); // the same delivery, which the receiver can tell apart
        using var db = await second.OpenDatabaseAsync();
        await EventuallyAsync(async () => await Sql(db, "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'") is 1L);
    }

    [Fact]
    public async Task A_budget_threshold_is_sent_once_per_threshold_and_an_issued_invoice_once() // R32, R31, R33
    {
        await using var receiver = await Receiver.StartAsync();
        var (api, _, _) = await ApiClient.SignUpAsync(Server.BaseAddress);
        var client = await api.CreateClientAsync("Billed Co");
        var project = await api.CreateProjectAsync(client, "Budgeted");
        await RegisterAsync(api, receiver.Url, ["budget.threshold", "invoice.issued"]);
        (await api.SendAsync(HttpMethod.Put, $"/api/v1/projects/{project}/budget", new { kind = "hours", limit = 1 })).Expect(HttpStatusCode.OK);

        (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-11-02T09:00:00Z", duration_seconds = 3000 }))
            .Expect(HttpStatusCode.Created);
        (await api.GetAsync($"/api/v1/projects/{project}/budget")).Expect(HttpStatusCode.OK);
        (await api.GetAsync($"/api/v1/projects/{project}/budget")).Expect(HttpStatusCode.OK);
        (await api.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-11-03T09:00:00Z", duration_seconds = 1200 }))
            .Expect(HttpStatusCode.Created);
        (await api.GetAsync($"/api/v1/projects/{project}/budget")).Expect(HttpStatusCode.OK);
        (await api.GetAsync($"/api/v1/projects/{project}/budget")).Expect(HttpStatusCode.OK);

        var invoice = (await api.PostAsync("/api/v1/invoices", new { client_id = client, from = "2026-11-01", to = "2026-11-30" })).Expect(HttpStatusCode.Created)["invoice"];
        (await api.PostAsync($"/api/v1/invoices/{invoice.Str("id")}/issue")).Expect(HttpStatusCode.OK);

        var got = await receiver.WaitForAsync(3);
        await Task.Delay(500);
        Assert.Equal(3, receiver.Got.Count);
        var thresholds = got.Where(r => r.Event == "budget.threshold")
            .Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("data").GetProperty("budget").Str("threshold")).Order().ToList();
        Assert.Equal(["critical", "warn"], thresholds);
        Assert.All(got.Where(r => r.Event == "budget.threshold"), r => Assert.Equal(
            "EUR", JsonDocument.Parse(r.Body).RootElement.GetProperty("data").GetProperty("budget").Str("currency"))); // the client's (R20)
        var issued = JsonDocument.Parse(got.Single(r => r.Event == "invoice.issued").Body).RootElement.GetProperty("data").GetProperty("invoice");
        Assert.Matches(@"^INV-\d{4}-0001$", issued.Str("number"));
    }

    private static async Task<string> RegisterAsync(ApiClient api, string url, string[] events) =>
        (await api.PostAsync("/api/v1/webhooks", new { url, events })).Expect(HttpStatusCode.Created)["secret"].GetString()!;

    /// <summary>The deliveries of the caller's only webhook.</summary>
    private static async Task<List<JsonElement>> DeliveriesAsync(ApiClient api, Func<JsonElement, bool>? where = null)
    {
        var webhook = (await api.GetAsync("/api/v1/webhooks")).Expect(HttpStatusCode.OK)["webhooks"].EnumerateArray().Single().Str("id");
        var deliveries = (await api.GetAsync($"/api/v1/webhooks/{webhook}/deliveries")).Expect(HttpStatusCode.OK)["deliveries"];
        return [.. deliveries.EnumerateArray().Select(d => d.Clone()).Where(where ?? (_ => true))];
    }

    private static async Task<object?> Sql(Npgsql.NpgsqlConnection db, string sql)
    {
        await using var command = new Npgsql.NpgsqlCommand(sql, db);
        return await command.ExecuteScalarAsync();
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 20 s.");
            await Task.Delay(50);
        }
    }

    public sealed record Received(string DeliveryId, string Event, string Signature, byte[] Body, int Answered);

    /// <summary>A webhook receiver on a loopback port that survives a restart, recording every request it gets.</summary>
    /// <summary>
    /// The pause tests' start: a node of its own database with <paramref name="pause"/> over the fast schedule, a receiver
    /// that answers 503, and a signed-up owner whose webhook sends it session.started.
    /// </summary>
    private static async Task<FailingCase> FailingReceiverAsync(Dictionary<string, string?> pause)
    {
        var database = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync();
        var receiver = await Receiver.StartAsync();
        receiver.Answer = _ => 503;
        var settings = new Dictionary<string, string?>(FastSchedule);
        foreach (var (key, value) in pause)
        {
            settings[key] = value;
        }

        var node = await HourdiniServer.StartNodeAsync(database, settings);
        var (api, _, _) = await ApiClient.SignUpAsync(node.BaseAddress);
        await RegisterAsync(api, receiver.Url, ["session.started"]);
        return new FailingCase(node, receiver, api);
    }

    private sealed record FailingCase(HourdiniServer Node, Receiver Receiver, ApiClient Api) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Api.Dispose();
            await Node.DisposeAsync();
            await Receiver.DisposeAsync();
        }
    }

    private sealed class Receiver : IAsyncDisposable
    {
        private WebApplication? _app;
        private readonly ConcurrentDictionary<string, int> _attempts = new();

        public ConcurrentQueue<Received> Got { get; } = new();

        /// <summary>The status for the n-th request of one delivery id.</summary>
        public Func<int, int> Answer { get; set; } = _ => 200;

        /// <summary>Requests get no answer while this is set.</summary>
        public bool Hold { get; set; }

        public int Port { get; private set; }

        public string Url => $"http://127.0.0.1:{Port}/hook";

        public static async Task<Receiver> StartAsync()
        {
            var receiver = new Receiver();
            await receiver.StartOnAsync(0);
            return receiver;
        }

        public Task StartAgainAsync() => StartOnAsync(Port);

        private async Task StartOnAsync(int port)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.MapPost("/hook", async (HttpContext context) =>
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer);
                var id = context.Request.Headers["Hourdini-Delivery"].ToString();
                var status = Answer(_attempts.AddOrUpdate(id, 1, (_, n) => n + 1));
                Got.Enqueue(new Received(id, context.Request.Headers["Hourdini-Event"].ToString(),
                    context.Request.Headers[WebhookSignature.Header].ToString(), buffer.ToArray(), Hold ? 0 : status));
                while (Hold && !context.RequestAborted.IsCancellationRequested)
                {
                    await Task.Delay(20);
                }

                return Results.StatusCode(status);
            });
            await app.StartAsync();
            _app = app;
            Port = new Uri(app.Urls.First()).Port;
        }

        public async Task StopAsync()
        {
            if (_app is { } app)
            {
                _app = null;
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }

        /// <summary>Waits until <paramref name="count"/> requests came, and returns them in order of arrival.</summary>
        public async Task<List<Received>> WaitForAsync(int count)
        {
            await EventuallyAsync(() => Task.FromResult(Got.Count >= count));
            return [.. Got];
        }

        public ValueTask DisposeAsync() => new(StopAsync());
    }
}
