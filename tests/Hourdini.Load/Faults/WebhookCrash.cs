using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Hourdini.Load.Faults;

/// <summary>
/// R33 across a real crash (issue 26): a loopback receiver subscribed to every event holds its answers, so every node's
/// dispatcher has claimed deliveries in flight, while people write entries through every node and agents start and end
/// sessions; then one node is killed with kill -9, cutting the deliveries it was sending and the writes it was serving.
/// The receiver answers from then on, and the node comes back. Promise: every change that committed — acknowledged or not —
/// reaches the receiver, signed with the webhook's secret, once the claim's lease has run out; nothing is marked failed.
/// Repeats are allowed (at least once: a receiver tells them apart by <c>Hourdini-Delivery</c>) and counted.
/// </summary>
public sealed class WebhookCrash(Uri[] nodes, string database, ClusterControl cluster, int victimNumber, TextWriter log)
{
    private const int EntryWriters = 4;
    private static readonly string[] Events = ["session.started", "session.ended", "entry.created", "entry.updated", "invoice.issued", "budget.threshold"];

    public async Task<FaultResult> RunAsync(Tenant tenant, TimeSpan before, TimeSpan claimFor, CancellationToken ct)
    {
        await using var receiver = await Receiver.StartAsync(ct);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var (webhookId, secret) = await SubscribeAsync(http, tenant, receiver.Url, ct);
        receiver.Secret = secret;
        var run = "wh-" + Guid.NewGuid().ToString("N")[..8];

        // Writes through every node until told to stop; acknowledged ones are remembered by id.
        using var stop = new CancellationTokenSource();
        var acknowledged = new ConcurrentBag<Guid>();
        var statuses = new ConcurrentDictionary<int, int>();
        var writers = Enumerable.Range(0, EntryWriters)
            .Select(w => Task.Run(() => WriteEntriesAsync(http, tenant, $"{run}-{w}", acknowledged, statuses, stop.Token), CancellationToken.None))
            .Concat(tenant.Agents.Select((agent, a) => Task.Run(() => RunSessionsAsync(http, tenant, agent.Secret, a, acknowledged, statuses, stop.Token), CancellationToken.None)))
            .ToArray();

        await Task.Delay(before, ct);
        var heldAtKill = receiver.Held;
        var abortedBefore = receiver.Aborted.Count;
        await cluster.KillNodeAsync(victimNumber);
        var killedAt = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromMilliseconds(500), ct); // the dead node's sockets close: their held requests abort
        var cutIds = receiver.Aborted.Skip(abortedBefore).ToList();
        var cut = cutIds.Count;
        receiver.Release();
        await Task.Delay(before, ct); // writes go on through the survivors while the node is down
        var restart = await cluster.StartNodeAsync(victimNumber);
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        // Every committed change of the run drains to the receiver: the cut ones once their lease (ClaimFor) runs out.
        var deadline = claimFor + TimeSpan.FromSeconds(30);
        var drain = Stopwatch.StartNew();
        var pending = await PendingAsync(tenant, ct);
        while (pending > 0 && drain.Elapsed < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            pending = await PendingAsync(tenant, ct);
        }

        var drainedAfterKill = Stopwatch.GetElapsedTime(killedAt);
        var rows = await DeliveriesAsync(tenant, webhookId, ct);
        var committedEntries = await CommittedEntriesAsync(tenant, run, ct);
        var received = receiver.Received;
        var receivedIds = received.Where(r => r.Signed).Select(r => r.DeliveryId).ToHashSet();
        var entriesDelivered = received.Where(r => r.Signed && r.Event == "entry.created").Select(r => r.SubjectId).ToHashSet();

        var broken = new List<string>();
        if (pending > 0)
        {
            broken.Add($"{pending} deliveries still pending {deadline.TotalSeconds:F0} s after the node came back");
        }

        var failed = rows.Count(r => r.Status == "failed");
        if (failed > 0)
        {
            broken.Add($"{failed} deliveries marked failed");
        }

        var neverReceived = rows.Count(r => !receivedIds.Contains(r.Id));
        if (neverReceived > 0)
        {
            broken.Add($"{neverReceived} outbox deliveries never reached the receiver with a valid signature");
        }

        var entriesLost = committedEntries.Count(id => !entriesDelivered.Contains(id));
        if (entriesLost > 0)
        {
            broken.Add($"{entriesLost} committed entries have no entry.created delivery");
        }

        var unsigned = received.Count(r => !r.Signed);
        if (unsigned > 0)
        {
            broken.Add($"{unsigned} requests reached the receiver without a valid signature");
        }

        var notCommitted = acknowledged.Count(id => !rows.Any(r => r.SubjectId == id));
        if (notCommitted > 0)
        {
            broken.Add($"{notCommitted} acknowledged changes have no outbox delivery");
        }

        if (cut == 0)
        {
            broken.Add("no delivery was in flight on the killed node: the scenario did not test what it claims");
        }

        await SendAsync(http, nodes[0], tenant.Pat, HttpMethod.Delete, $"/api/v1/webhooks/{webhookId}", null, ct);
        var repeats = received.Where(r => r.Signed).GroupBy(r => r.DeliveryId).Count(g => g.Count() > 1);
        var resent = cutIds.Count(receivedIds.Contains);
        log.WriteLine($"    outbox deliveries: {rows.Count}, received: {received.Count}, cut with the node: {cut}");
        return new FaultResult("webhook-crash",
            $"kill -9 node {victimNumber} while its dispatcher sends held webhook deliveries; the receiver answers from then on",
            acknowledged.Count, entriesLost + neverReceived, acknowledged.Count + statuses.Values.Sum(),
            new Dictionary<int, int>(statuses),
            [
                ("acknowledged changes (entries written, agent sessions started and ended)", acknowledged.Count.ToString(CultureInfo.InvariantCulture)),
                ("committed entries of the run, acknowledged or not", committedEntries.Count.ToString(CultureInfo.InvariantCulture)),
                ("outbox deliveries (one per change)", rows.Count.ToString(CultureInfo.InvariantCulture)),
                ("deliveries held by the receiver at the kill / cut with the killed node", $"{heldAtKill} / {cut}"),
                ("of the cut ones, resent by a live node after the lease and received", $"{resent} / {cut}"),
                ("delivery ids the receiver got more than once (allowed: at least once)", repeats.ToString(CultureInfo.InvariantCulture)),
                ("every delivery delivered, after the kill", $"{drainedAfterKill.TotalSeconds:F1} s (lease {claimFor.TotalSeconds:F0} s)"),
                ("delivered / failed / pending", $"{rows.Count(r => r.Status == "delivered")} / {failed} / {pending}"),
                ("requests without a valid signature", unsigned.ToString(CultureInfo.InvariantCulture)),
                ("node restarted and ready in", $"{restart.TotalSeconds:F1} s"),
            ],
            broken);
    }

    private async Task<(Guid Id, string Secret)> SubscribeAsync(HttpClient http, Tenant tenant, string url, CancellationToken ct)
    {
        var (status, json) = await SendAsync(http, nodes[0], tenant.Pat, HttpMethod.Post, "/api/v1/webhooks", new { url, events = Events }, ct);
        if (status != 201 || json is not { } body)
        {
            throw new InvalidOperationException($"POST /api/v1/webhooks answered {status}: is Hourdini:Webhooks:AllowLoopback true on the cluster?");
        }

        return (body.GetProperty("webhook").GetProperty("id").GetGuid(), body.GetProperty("secret").GetString()!);
    }

    private async Task WriteEntriesAsync(HttpClient http, Tenant tenant, string prefix, ConcurrentBag<Guid> acknowledged,
        ConcurrentDictionary<int, int> statuses, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var body = new { project_id = tenant.ProjectId, started_at = "2026-01-05T09:00:00Z", duration_seconds = 60, description = $"{prefix}-{i}" };
            var (status, json) = await SendAsync(http, nodes[i % nodes.Length], tenant.Pat, HttpMethod.Post, "/api/v1/time-entries", body, CancellationToken.None);
            if (status == 201 && json is { } answer)
            {
                acknowledged.Add(answer.GetProperty("time_entry").GetProperty("id").GetGuid());
            }
            else
            {
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                await Task.Delay(100, CancellationToken.None);
            }
        }
    }

    /// <summary>An agent starts a session and ends it, over and over, each call through the next node (grain-written changes).</summary>
    private async Task RunSessionsAsync(HttpClient http, Tenant tenant, string token, int offset, ConcurrentBag<Guid> acknowledged,
        ConcurrentDictionary<int, int> statuses, CancellationToken stop)
    {
        Guid? open = null;
        for (var i = offset; !stop.IsCancellationRequested; i++)
        {
            var node = nodes[i % nodes.Length];
            var (status, json) = open is { } session
                ? await SendAsync(http, node, token, HttpMethod.Post, $"/api/v1/sessions/{session}/end", null, CancellationToken.None)
                : await SendAsync(http, node, token, HttpMethod.Post, "/api/v1/sessions", new { project_id = tenant.ProjectId, description = "webhook crash" }, CancellationToken.None);
            if (status is 200 or 201 && json is { } answer)
            {
                acknowledged.Add(answer.GetProperty("session").GetProperty("id").GetGuid());
                open = open is null ? answer.GetProperty("session").GetProperty("id").GetGuid() : null;
            }
            else if (status == 409)
            {
                // A start or an end whose answer was lost with the node had committed: carry on from what the server holds,
                // as the agent would after a restart.
                open = await OpenSessionAsync(http, token, CancellationToken.None);
            }
            else
            {
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                await Task.Delay(100, CancellationToken.None);
            }
        }

        if (open is { } last)
        {
            await SendAsync(http, nodes[0], token, HttpMethod.Post, $"/api/v1/sessions/{last}/end", null, CancellationToken.None);
        }
    }

    private async Task<Guid?> OpenSessionAsync(HttpClient http, string token, CancellationToken ct)
    {
        var (status, json) = await SendAsync(http, nodes[0], token, HttpMethod.Get, "/api/v1/sessions?status=open", null, ct);
        return status == 200 && json is { } body && body.GetProperty("sessions").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } first
            ? first.GetProperty("id").GetGuid()
            : null;
    }

    private static async Task<(int Status, JsonElement? Json)> SendAsync(HttpClient http, Uri node, string token, HttpMethod method, string path, object? body, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(method, new Uri(node, path)) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            return ((int)response.StatusCode, response.IsSuccessStatusCode && text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : null);
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return (0, null);
        }
    }

    private sealed record Row(Guid Id, string Status, Guid? SubjectId);

    private async Task<long> PendingAsync(Tenant tenant, CancellationToken ct)
    {
        await using var db = new NpgsqlConnection(database);
        await db.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM webhook_deliveries WHERE org_id = $1 AND status = 'pending'", db)
        {
            Parameters = { new() { Value = tenant.OrgId } },
        };
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<List<Row>> DeliveriesAsync(Tenant tenant, Guid webhookId, CancellationToken ct)
    {
        await using var db = new NpgsqlConnection(database);
        await db.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            """
            SELECT id, status, coalesce(data->'entry'->>'id', data->'session'->>'id')::uuid
            FROM webhook_deliveries WHERE org_id = $1 AND webhook_id = $2
            """, db)
        {
            Parameters = { new() { Value = tenant.OrgId }, new() { Value = webhookId } },
        };
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<Row>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new Row(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetGuid(2)));
        }

        return rows;
    }

    private async Task<List<Guid>> CommittedEntriesAsync(Tenant tenant, string run, CancellationToken ct)
    {
        await using var db = new NpgsqlConnection(database);
        await db.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT id FROM time_entries WHERE org_id = $1 AND description LIKE $2", db)
        {
            Parameters = { new() { Value = tenant.OrgId }, new() { Value = run + "-%" } },
        };
        await using var reader = await command.ExecuteReaderAsync(ct);
        var ids = new List<Guid>();
        while (await reader.ReadAsync(ct))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private sealed record Receipt(Guid DeliveryId, string Event, Guid? SubjectId, bool Signed);

    /// <summary>
    /// A webhook receiver on loopback, written as an integrator would: it checks <c>Hourdini-Signature</c> over the raw body
    /// with the secret (its own HMAC, not Hourdini's code) and records what it got. Until <see cref="Release"/> it holds every
    /// request open, so the dispatchers' sends are in flight; it notes the held requests whose connection dies.
    /// </summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentBag<Receipt> _received = [];
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<Guid> _aborted = [];
        private int _held;

        private Receiver(WebApplication app) => _app = app;

        public string Url { get; private set; } = "";

        public string Secret { get; set; } = "";

        public int Held => Volatile.Read(ref _held);

        /// <summary>The held deliveries whose sender's connection died, in the order it did.</summary>
        public IReadOnlyList<Guid> Aborted
        {
            get
            {
                lock (_aborted)
                {
                    return [.. _aborted];
                }
            }
        }

        public IReadOnlyList<Receipt> Received => [.. _received];

        public void Release() => _released.TrySetResult();

        public static async Task<Receiver> StartAsync(CancellationToken ct)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.WebHost.UseSetting("urls", "http://127.0.0.1:0");
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.MapPost("/hook", receiver.HandleAsync);
            await app.StartAsync(ct);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            receiver.Url = address + "/hook";
            return receiver;
        }

        private async Task HandleAsync(HttpContext context)
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var signed = Verify(context.Request.Headers["Hourdini-Signature"].ToString(), body);
            if (!_released.Task.IsCompleted)
            {
                Interlocked.Increment(ref _held);
                try
                {
                    await _released.Task.WaitAsync(context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    lock (_aborted)
                    {
                        _aborted.Add(Guid.Parse(context.Request.Headers["Hourdini-Delivery"].ToString())); // the sender's node was killed, or it gave up
                    }

                    return;
                }
                finally
                {
                    Interlocked.Decrement(ref _held);
                }
            }

            var json = JsonDocument.Parse(body).RootElement;
            var data = json.GetProperty("data");
            var subject = data.TryGetProperty("entry", out var entry) ? entry : data.TryGetProperty("session", out var session) ? session : (JsonElement?)null;
            _received.Add(new Receipt(json.GetProperty("id").GetGuid(), json.GetProperty("event").GetString()!,
                subject?.GetProperty("id").GetGuid(), signed && context.Request.Headers["Hourdini-Delivery"] == json.GetProperty("id").GetString()));
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }

        private bool Verify(string header, byte[] body)
        {
            var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
            if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1))
            {
                return false;
            }

            var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), (byte[])[.. Encoding.ASCII.GetBytes(t + "."), .. body]);
            return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(mac)), Encoding.ASCII.GetBytes(v1));
        }

        public async ValueTask DisposeAsync()
        {
            Release();
            await _app.DisposeAsync();
        }
    }
}
