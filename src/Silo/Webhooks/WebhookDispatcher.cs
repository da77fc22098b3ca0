using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;
using Hourdini.Silo.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly.Timeout;

namespace Hourdini.Silo.Webhooks;

/// <summary>
/// Sends the outbox (R33), on every node at once. A claim takes due deliveries with FOR UPDATE SKIP LOCKED, so nodes
/// never take the same one, and leases them by moving <c>next_attempt_at</c> past <see cref="WebhookOptions.ClaimFor"/>:
/// a node that dies after claiming leaves its deliveries to another node once the lease runs out, and one that dies
/// before claiming leaves them due. Either way a committed change is delivered at least once; a receiver tells repeats
/// apart by <c>Hourdini-Delivery</c>. A failed attempt is retried with exponential backoff and jitter, the schedule kept in
/// the table (it outlives any node), until <see cref="WebhookOptions.RetryFor"/> after the event, then marked failed.
/// The HTTP call itself only has a timeout (the client's resilience pipeline, <see cref="WebhookExtensions"/>).
/// </summary>
public sealed class WebhookDispatcher(
    NpgsqlDataSource dataSource,
    IHttpClientFactory httpClients,
    WebhookOptions options,
    TimeProvider clock,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "hourdini-webhooks";

    /// <param name="Failing">Its webhook had failed attempts counted or a pause when it was claimed (migration 0022).</param>
    private sealed record Claimed(
        Guid OrgId, Guid Id, Guid WebhookId, string Event, string Data, DateTimeOffset CreatedAt, int Attempts, string Url, string Secret, DateTimeOffset DueAt,
        bool Failing);

    /// <summary>One send's outcome: delivered when <paramref name="Error"/> is null, else retried after <paramref name="Backoff"/>.</summary>
    private sealed record Attempt(Claimed Delivery, int? StatusCode, string? Error, TimeSpan Backoff);

    private long _depthSampledAt;

    /// <summary>Sends under way on this node, per webhook: none gets more than <see cref="WebhookOptions.PerWebhookInFlight"/>.</summary>
    private readonly ConcurrentDictionary<Guid, int> _sending = new();

    /// <summary>
    /// Keeps up to <see cref="WebhookOptions.MaxInFlight"/> sends going: whenever a batch's worth of slots is free it claims
    /// up to <see cref="WebhookOptions.BatchSize"/> due deliveries and starts each send on its own. A receiver that takes
    /// its whole timeout to answer holds one slot, not the other deliveries of its batch, and one webhook holds at most
    /// <see cref="WebhookOptions.PerWebhookInFlight"/> slots, so a burst to a receiver that hangs cannot take them all.
    /// Outcomes are recorded by <see cref="RecordLoopAsync"/>, a batch a statement.
    /// </summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var outcomes = Channel.CreateUnbounded<Attempt>(new UnboundedChannelOptions { SingleReader = true });
        var recording = RecordLoopAsync(outcomes.Reader);
        var capacity = Math.Max(options.MaxInFlight, options.BatchSize);
        using var slots = new SemaphoreSlim(capacity, capacity);
        while (!stoppingToken.IsCancellationRequested)
        {
            var taken = 0;
            var idle = true;
            try
            {
                // A claim waits for a batch's worth of free slots, so claims (and their commits) stay batches under load.
                while (taken < options.BatchSize)
                {
                    await slots.WaitAsync(stoppingToken);
                    taken++;
                }

                var claimed = await ClaimAsync(taken, stoppingToken);
                idle = claimed.Count < taken;
                var (send, over) = Allot(claimed);
                if (send.Count < taken)
                {
                    slots.Release(taken - send.Count);
                }

                taken = 0; // each sent delivery's slot is its send's to give back
                foreach (var delivery in send)
                {
                    _sending.AddOrUpdate(delivery.WebhookId, 1, (_, n) => n + 1);
                    _ = SendThenQueueAsync(delivery, outcomes.Writer, slots, stoppingToken);
                }

                if (over.Count > 0)
                {
                    await GiveBackAsync(over, stoppingToken);
                }

                if (clock.GetElapsedTime(_depthSampledAt) >= TimeSpan.FromSeconds(1))
                {
                    _depthSampledAt = clock.GetTimestamp();
                    WebhookMetrics.Record(await MeasureDepthAsync(stoppingToken));
                }
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(error, "Webhook dispatch failed; the next round retries.");
            }
            finally
            {
                if (taken > 0)
                {
                    slots.Release(taken);
                }
            }

            if (idle)
            {
                await Task.Delay(options.PollInterval, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }

        // Stopping: sends under way are cancelled (their claims run out and another node sends them); what finished is
        // still recorded, so it is not sent again.
        for (var i = 0; i < capacity; i++)
        {
            await slots.WaitAsync(CancellationToken.None);
        }

        outcomes.Writer.Complete();
        await recording;
    }

    private async Task SendThenQueueAsync(Claimed delivery, ChannelWriter<Attempt> outcomes, SemaphoreSlim slots, CancellationToken ct)
    {
        try
        {
            if (await SendAsync(delivery, ct) is { } attempt)
            {
                outcomes.TryWrite(attempt);
            }
        }
        finally
        {
            _sending.AddOrUpdate(delivery.WebhookId, 0, (_, n) => n - 1);
            _sending.TryRemove(new KeyValuePair<Guid, int>(delivery.WebhookId, 0));
            slots.Release();
        }
    }

    /// <summary>Splits a claim into what each webhook may still send and what is over its share.</summary>
    private (List<Claimed> Send, List<Claimed> Over) Allot(IReadOnlyList<Claimed> claimed)
    {
        var send = new List<Claimed>(claimed.Count);
        var over = new List<Claimed>();
        var allotted = new Dictionary<Guid, int>();
        foreach (var delivery in claimed)
        {
            var n = allotted.GetValueOrDefault(delivery.WebhookId, _sending.GetValueOrDefault(delivery.WebhookId));
            (n < options.PerWebhookInFlight ? send : over).Add(delivery);
            allotted[delivery.WebhookId] = n + 1;
        }

        return (send, over);
    }

    /// <summary>
    /// Deliveries claimed over their webhook's share go back as they were due, to be claimed again when it has room (the
    /// next claims pass that webhook by). If this fails they wait out their claim, as after a crash.
    /// </summary>
    private async Task GiveBackAsync(List<Claimed> over, CancellationToken ct)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await connection.ExecuteAsync(
                """
                UPDATE webhook_deliveries d SET next_attempt_at = b.due
                FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS b(org_id, id, due)
                WHERE d.org_id = b.org_id AND d.id = b.id AND d.status = 'pending'
                """,
                ct, over.Select(d => d.OrgId).ToArray(), over.Select(d => d.Id).ToArray(), over.Select(d => d.DueAt).ToArray());
        }
        catch (Exception error) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning(error, "Giving back {Count} webhook deliveries failed; they are sent when their claim runs out.", over.Count);
        }
    }

    /// <summary>
    /// Records the outcomes of finished sends, all that are waiting in one statement (one commit for many deliveries: the
    /// outbox's cost on the write path, docs/BENCHMARKS.md). If recording fails, those claims run out and are sent again.
    /// </summary>
    private async Task RecordLoopAsync(ChannelReader<Attempt> finished)
    {
        var batch = new List<Attempt>();
        while (await finished.WaitToReadAsync())
        {
            Take();
            if (batch.Count < options.BatchSize)
            {
                await Task.Delay(RecordGathering, clock); // let the rest of a batch's sends finish: one commit for them all
                Take();
            }

            try
            {
                await RecordAsync(batch, CancellationToken.None);
            }
            catch (Exception error)
            {
                logger.LogWarning(error, "Recording {Count} webhook outcomes failed; their claims run out and they are sent again.", batch.Count);
            }

            batch.Clear();
        }

        void Take()
        {
            while (batch.Count < RecordBatchLimit && finished.TryRead(out var attempt))
            {
                batch.Add(attempt);
            }
        }
    }

    private const int RecordBatchLimit = 256;

    private static readonly TimeSpan RecordGathering = TimeSpan.FromMilliseconds(10);

    /// <summary>The outbox's depth across every org, for <see cref="WebhookMetrics"/>: the partial index on pending rows answers it.</summary>
    private async Task<WebhookMetrics.Depth> MeasureDepthAsync(CancellationToken ct) => (await dataSource.ListAsync(
        """
        SELECT count(*), count(*) FILTER (WHERE next_attempt_at <= now()),
               coalesce(extract(epoch FROM now() - min(next_attempt_at) FILTER (WHERE next_attempt_at <= now())), 0)::float8
        FROM webhook_deliveries WHERE status = 'pending'
        """,
        r => new WebhookMetrics.Depth(r.GetInt64(0), r.GetInt64(1), r.GetDouble(2)), ct))[0];

    /// <summary>Claims up to <paramref name="count"/> due deliveries, passing by webhooks that already have their share under way here.</summary>
    private Task<IReadOnlyList<Claimed>> ClaimAsync(int count, CancellationToken ct) => dataSource.ListAsync(
        """
        UPDATE webhook_deliveries d SET next_attempt_at = now() + $2
        FROM (SELECT org_id, id, next_attempt_at FROM webhook_deliveries
              WHERE status = 'pending' AND next_attempt_at <= now() AND webhook_id <> ALL ($3::uuid[])
              ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due, webhooks w
        WHERE d.org_id = due.org_id AND d.id = due.id AND w.org_id = d.org_id AND w.id = d.webhook_id
        RETURNING d.org_id, d.id, d.webhook_id, d.event, d.data::text, d.created_at, d.attempts, w.url, w.secret, due.next_attempt_at,
                  w.consecutive_failures > 0 OR w.paused_until IS NOT NULL
        """,
        r => new Claimed(r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetString(3), r.GetString(4), r.GetFieldValue<DateTimeOffset>(5),
            r.GetInt32(6), r.GetString(7), r.GetString(8), r.GetFieldValue<DateTimeOffset>(9), r.GetBoolean(10)),
        ct, count, options.ClaimFor,
        _sending.Where(w => w.Value >= options.PerWebhookInFlight).Select(w => w.Key).ToArray());

    /// <summary>Sends one delivery; null when this node is stopping (the lease runs out and another node sends it).</summary>
    private async Task<Attempt?> SendAsync(Claimed delivery, CancellationToken ct)
    {
        int? statusCode = null;
        string? error = null;
        try
        {
            var body = Body(delivery);
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            request.Headers.Add("Hourdini-Event", delivery.Event);
            request.Headers.Add("Hourdini-Delivery", delivery.Id.ToString());
            request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(delivery.Secret, clock.GetUtcNow().ToUnixTimeSeconds(), body));
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Hourdini-Webhooks", "1"));
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            statusCode = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                error = $"The receiver answered {statusCode}.";
            }
        }
        catch (TimeoutRejectedException)
        {
            error = $"No answer within {options.Timeout.TotalSeconds:0.#} s.";
        }
        catch (HttpRequestException failed) when (FindRefusal(failed) is { } refused)
        {
            error = $"{WebhookAddressGuard.RefusedCode}: {refused.Message}";
        }
        catch (HttpRequestException failed)
        {
            error = Describe(failed);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null; // this node is stopping: the lease runs out and another node sends it
        }
        catch (Exception failed)
        {
            // Anything else is this attempt's failure, recorded with the rest of the batch (and retried), never the batch's.
            logger.LogWarning(failed, "Webhook delivery {Delivery} failed unexpectedly.", delivery.Id);
            error = $"The delivery failed: {failed.GetType().Name}.";
        }

        return new Attempt(delivery, statusCode, error is null ? null : error[..Math.Min(error.Length, 500)],
            error is null ? TimeSpan.Zero : Backoff(delivery.Attempts + 1));
    }

    /// <summary>
    /// What went wrong, for the deliveries list: the failure and each cause under it ("The SSL connection could not be
    /// established: Received an unexpected EOF…"), since the owner reading it cannot see inner exceptions.
    /// </summary>
    public static string Describe(Exception error)
    {
        var parts = new List<string>();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            var text = e.Message.Replace(", see inner exception", "", StringComparison.Ordinal)
                .Replace("See the inner exception for details.", "", StringComparison.Ordinal).Trim().TrimEnd('.').Trim();
            if (text.Length > 0 && !parts.Contains(text))
            {
                parts.Add(text);
            }
        }

        return parts.Count == 0 ? error.GetType().Name : string.Join(": ", parts) + ".";
    }

    private static WebhookAddressRefusedException? FindRefusal(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is WebhookAddressRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }

    /// <summary>API.md: <c>{id, event, created_at, data}</c>, the same bytes on every attempt but for the signature's time.</summary>
    private static byte[] Body(Claimed delivery)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + delivery.Data.Length);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", delivery.Id);
            json.WriteString("event", delivery.Event);
            json.WriteString("created_at", delivery.CreatedAt.UtcDateTime);
            json.WritePropertyName("data");
            json.WriteRawValue(delivery.Data, skipInputValidation: true);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Records the attempts, a batch in one statement. A failure waits at least until its webhook's pause ends, and its
    /// last try is due at its retry deadline even if the pause lasts longer. Then, for webhooks with a failure among
    /// these outcomes or a failure counted before, <see cref="PauseOrResumeAsync"/> counts them, in its own transaction:
    /// a healthy webhook costs nothing more.
    /// </summary>
    private async Task RecordAsync(IReadOnlyList<Attempt> attempts, CancellationToken ct)
    {
        if (attempts.Count == 0)
        {
            return;
        }

        var outcomes = await dataSource.ListAsync(
            """
            UPDATE webhook_deliveries d SET attempts = d.attempts + 1, last_attempt_at = now(), last_status_code = a.status_code,
                last_error = a.error,
                status = CASE WHEN a.error IS NULL THEN 'delivered' WHEN d.created_at + $6 <= now() + a.backoff THEN 'failed' ELSE 'pending' END,
                delivered_at = CASE WHEN a.error IS NULL THEN now() END,
                next_attempt_at = CASE WHEN a.error IS NULL THEN now() ELSE least(d.created_at + $6, greatest(now() + a.backoff,
                    (SELECT w.paused_until FROM webhooks w WHERE w.org_id = d.org_id AND w.id = d.webhook_id))) END
            FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::interval[]) AS a(org_id, id, status_code, error, backoff)
            WHERE d.org_id = a.org_id AND d.id = a.id AND d.status = 'pending'
            RETURNING CASE d.status WHEN 'pending' THEN 'retry' ELSE d.status END
            """,
            r => r.GetString(0), ct,
            attempts.Select(a => a.Delivery.OrgId).ToArray(), attempts.Select(a => a.Delivery.Id).ToArray(),
            attempts.Select(a => a.StatusCode).ToArray(), attempts.Select(a => a.Error).ToArray(),
            attempts.Select(a => a.Backoff).ToArray(), options.RetryFor);
        foreach (var status in outcomes)
        {
            WebhookMetrics.Attempts.Add(1, new KeyValuePair<string, object?>("outcome", status));
        }

        var failing = attempts.Where(a => a.Error is not null || a.Delivery.Failing).Select(a => a.Delivery.WebhookId).ToHashSet();
        if (failing.Count > 0)
        {
            await PauseOrResumeAsync([.. attempts.Where(a => failing.Contains(a.Delivery.WebhookId))], ct);
        }
    }

    /// <summary>
    /// Counts each webhook's failed attempts in a row and pauses one that reaches <see cref="WebhookOptions.PauseAfter"/>:
    /// its pending deliveries are moved to the pause's end (migration 0022), or to their retry deadline if that comes
    /// first, so a receiver that is down costs one batch of attempts per pause instead of one per delivery and new
    /// event. A delivered attempt resets the count, ends the pause and makes what waited for it due again. Failures of
    /// sends that were under way when another node paused the webhook do not extend the pause.
    /// <para>Best effort, in its own transaction: if it fails, the outcomes are recorded all the same and the next
    /// batch's outcomes move the count on. Webhook rows are locked in key order, and deliveries another transaction holds
    /// (being claimed or recorded) are passed by, not waited for, so two nodes counting at once cannot deadlock.</para>
    /// </summary>
    private async Task PauseOrResumeAsync(IReadOnlyList<Attempt> attempts, CancellationToken ct)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await connection.ExecuteAsync(PauseOrResumeSql, ct,
                attempts.Select(a => a.Delivery.OrgId).ToArray(), attempts.Select(a => a.Delivery.WebhookId).ToArray(),
                attempts.Select(a => a.Error).ToArray(), options.PauseAfter, options.FirstBackoff, options.MaxBackoff, options.RetryFor);
        }
        catch (Exception error) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning(error, "Counting {Count} webhook outcomes towards a pause failed; the next ones count.", attempts.Count);
        }
    }

    private const string PauseOrResumeSql =
        """
        WITH outcome AS (
            SELECT a.org_id, a.webhook_id, bool_or(a.error IS NULL) AS delivered, count(*) FILTER (WHERE a.error IS NOT NULL) AS failed
            FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS a(org_id, webhook_id, error)
            GROUP BY a.org_id, a.webhook_id
        ), locked AS (
            SELECT w.org_id, w.id, w.paused_until AS was_paused_until
            FROM webhooks w JOIN outcome o ON w.org_id = o.org_id AND w.id = o.webhook_id
            ORDER BY w.org_id, w.id
            FOR NO KEY UPDATE OF w
        ), counted AS (
            UPDATE webhooks w SET
                consecutive_failures = CASE WHEN o.delivered THEN 0 ELSE w.consecutive_failures + o.failed END,
                pauses = CASE WHEN o.delivered THEN 0 WHEN w.consecutive_failures + o.failed >= $4 THEN w.pauses + 1 ELSE w.pauses END,
                paused_until = CASE
                    WHEN o.delivered THEN NULL
                    WHEN w.consecutive_failures + o.failed >= $4
                        THEN now() + least($5 * power(2, least(w.pauses, 20)), $6) * (0.5 + random() / 2)
                    ELSE w.paused_until END
            FROM outcome o JOIN locked l ON l.org_id = o.org_id AND l.id = o.webhook_id
            WHERE w.org_id = o.org_id AND w.id = o.webhook_id
              AND CASE WHEN o.delivered THEN w.consecutive_failures > 0 OR w.paused_until IS NOT NULL
                       ELSE w.paused_until IS NULL OR w.paused_until <= now() END
            RETURNING w.org_id, w.id, w.paused_until, l.was_paused_until
        ), resumed AS (
            UPDATE webhook_deliveries d SET next_attempt_at = now()
            FROM counted c, LATERAL (
                SELECT p.id FROM webhook_deliveries p
                WHERE p.org_id = c.org_id AND p.webhook_id = c.id AND p.status = 'pending'
                  AND p.next_attempt_at > now() AND p.next_attempt_at <= c.was_paused_until
                FOR UPDATE SKIP LOCKED) waited
            WHERE c.paused_until IS NULL AND c.was_paused_until > now() AND d.org_id = c.org_id AND d.id = waited.id
        )
        UPDATE webhook_deliveries d SET next_attempt_at = least(c.paused_until, d.created_at + $7)
        FROM counted c, LATERAL (
            SELECT p.id FROM webhook_deliveries p
            WHERE p.org_id = c.org_id AND p.webhook_id = c.id AND p.status = 'pending' AND p.next_attempt_at < c.paused_until
            FOR UPDATE SKIP LOCKED) waiting
        WHERE c.paused_until > now() AND d.org_id = c.org_id AND d.id = waiting.id
          AND d.next_attempt_at < least(c.paused_until, d.created_at + $7)
        """;

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1: doubling from the first, capped, with half of it random.</summary>
    public TimeSpan Backoff(int attempt)
    {
        var doubled = options.FirstBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(doubled, options.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped / 2 + (Random.Shared.NextDouble() * capped / 2));
    }
}
