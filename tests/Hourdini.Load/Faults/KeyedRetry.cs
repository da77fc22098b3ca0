using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Hourdini.Load.Faults;

/// <summary>
/// API.md "Idempotency-Key" across a real crash (issue 24, item 1): clients send keyed writes (manual entries, which the
/// gateway writes itself, and session logs, which a grain writes) straight to one node, and that node is killed with
/// kill -9 while they are in flight. Every request whose answer was lost is retried with the same key through another
/// node until it gets a final answer, as a careful client would. Promise: each gets one within the claim's lease (plus
/// a retry interval), each key's effect exists exactly once, and its final answer names that effect.
/// </summary>
public sealed class KeyedRetry(Uri victim, Uri survivor, string database, ClusterControl cluster, int victimNumber, TextWriter log)
{
    private const int Workers = 8;

    private sealed record Outcome(string Key, string Kind, int Status, string? Answer, bool Retried, TimeSpan Settled, List<int> RetryStatuses)
    {
        /// <summary>For a lost answer: whether its write had committed before the first retry (the case a retry must not redo).</summary>
        public bool CommittedBeforeRetry { get; init; }
    }

    public async Task<FaultResult> RunAsync(Tenant tenant, TimeSpan before, TimeSpan lease, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var session = await StartSessionAsync(http, tenant, ct);
        var killed = new TaskCompletionSource<long>();
        var outcomes = new ConcurrentBag<Outcome>();
        var run = Guid.NewGuid().ToString("N")[..8];
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !killed.Task.IsCompleted; i++)
            {
                outcomes.Add(await OneAsync(http, tenant, session, $"{run}-{w}-{i}", i % 2 == 0 ? "entry" : "log", killed.Task, ct));
            }
        }, ct)).ToArray();

        await Task.Delay(before, ct);
        await cluster.KillNodeAsync(victimNumber);
        killed.SetResult(Stopwatch.GetTimestamp());
        await Task.WhenAll(workers);
        var restart = await cluster.StartNodeAsync(victimNumber);

        var broken = new List<string>();
        var all = outcomes.ToList();
        var retried = all.Where(o => o.Retried).ToList();
        foreach (var outcome in all.Where(o => o.Status is not (201 or 200)))
        {
            broken.Add($"key {outcome.Key} ({outcome.Kind}) ended with {outcome.Status}");
        }

        var duplicates = 0;
        var mismatched = 0;
        await using (var db = new NpgsqlConnection(database))
        {
            await db.OpenAsync(ct);
            foreach (var outcome in all.Where(o => o.Status is 200 or 201))
            {
                await using var command = new NpgsqlCommand(Effects(outcome.Kind), db) { Parameters = { new() { Value = tenant.OrgId }, new() { Value = outcome.Key }, new() { Value = session } } };
                var found = await command.ExecuteScalarAsync(ct) as string[] ?? [];
                if (found.Length > 1)
                {
                    duplicates++;
                }
                else if (found.Length == 0 || found[0] != outcome.Answer)
                {
                    mismatched++;
                }
            }
        }

        if (duplicates > 0)
        {
            broken.Add($"{duplicates} keys took effect more than once");
        }

        if (mismatched > 0)
        {
            broken.Add($"{mismatched} keys' final answers do not name what the database holds for them");
        }

        var slowest = retried.Count == 0 ? TimeSpan.Zero : retried.Max(o => o.Settled);
        if (slowest > lease + TimeSpan.FromSeconds(5))
        {
            broken.Add($"a retried key settled only {slowest.TotalSeconds:F1} s after the kill (promise: the lease, {lease.TotalSeconds:F0} s, plus 5 s)");
        }

        var retryStatuses = retried.SelectMany(o => o.RetryStatuses).GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{(g.Key == 0 ? "no answer" : g.Key)}×{g.Count()}");
        var recovered = retried.Count(o => o.RetryStatuses.Contains(409));
        log.WriteLine($"    keyed requests: {all.Count}, answer lost at the kill: {retried.Count}");
        return new FaultResult("keyed-retry", $"kill -9 node {victimNumber} under {Workers} clients' keyed writes sent to it; lost answers retried through another node",
            all.Count, duplicates + mismatched, all.Count + retried.Sum(o => o.RetryStatuses.Count), new Dictionary<int, int>(),
            [
                ("keyed writes (manual entries and session logs), final answers", all.Count.ToString()),
                ("answers lost with the node, retried with the same key", retried.Count.ToString()),
                ("of which had committed before the retry (answered with what committed, not redone)", retried.Count(o => o.CommittedBeforeRetry).ToString()),
                ("of which waited for the lapsed claim (409 idempotency_in_progress first)", recovered.ToString()),
                ("retry answers until final", string.Join(", ", retryStatuses)),
                ("slowest retried key settled after the kill", $"{slowest.TotalSeconds:F1} s (claim lease {lease.TotalSeconds:F0} s)"),
                ("keys with more than one effect / answer not matching the database", $"{duplicates} / {mismatched}"),
                ("node restarted and ready in", $"{restart.TotalSeconds:F1} s"),
            ],
            broken);
    }

    /// <summary>Sends one keyed write to the victim; if its answer is lost, retries it through the survivor until final.</summary>
    private async Task<Outcome> OneAsync(HttpClient http, Tenant tenant, Guid session, string key, string kind, Task<long> killed, CancellationToken ct)
    {
        var (path, body) = kind == "entry"
            ? ("/api/v1/time-entries", (object)new { project_id = tenant.ProjectId, started_at = "2026-01-05T09:00:00Z", duration_seconds = 60, description = key })
            : ($"/api/v1/sessions/{session}/events", new { type = "log", message = key });
        var (status, answer, _) = await SendAsync(http, victim, path, body, key, tenant.Pat, kind, ct);
        if (status is 200 or 201)
        {
            return new Outcome(key, kind, status, answer, false, TimeSpan.Zero, []);
        }

        // The answer was lost (the connection died with the node, or the node answered 503): retry like a client.
        var statuses = new List<int> { status };
        var committed = await EffectsAsync(tenant, session, key, kind, ct) > 0;
        while (true)
        {
            var waited = killed.IsCompleted ? Stopwatch.GetElapsedTime(killed.Result) : TimeSpan.Zero;
            if (waited > TimeSpan.FromSeconds(90))
            {
                return new Outcome(key, kind, statuses[^1], null, true, waited, statuses) { CommittedBeforeRetry = committed };
            }

            var (retry, retryAnswer, retryAfter) = await SendAsync(http, survivor, path, body, key, tenant.Pat, kind, ct);
            statuses.Add(retry);
            if (retry is 200 or 201 || (retry is >= 400 and < 500 && retry != 409))
            {
                return new Outcome(key, kind, retry, retryAnswer, true, killed.IsCompleted ? Stopwatch.GetElapsedTime(killed.Result) : TimeSpan.Zero, statuses)
                {
                    CommittedBeforeRetry = committed,
                };
            }

            await Task.Delay(retryAfter ?? TimeSpan.FromMilliseconds(500), ct);
        }
    }

    private async Task<long> EffectsAsync(Tenant tenant, Guid session, string key, string kind, CancellationToken ct)
    {
        await using var db = new NpgsqlConnection(database);
        await db.OpenAsync(ct);
        await using var command = new NpgsqlCommand(Effects(kind).Replace("array_agg(id::text)", "count(*)").Replace("array_agg(seq::text)", "count(*)"), db)
        {
            Parameters = { new() { Value = tenant.OrgId }, new() { Value = key }, new() { Value = session } },
        };
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static string Effects(string kind) => kind == "entry"
        ? "SELECT array_agg(id::text) FROM time_entries WHERE org_id = $1 AND description = $2 AND $3::uuid IS NOT NULL"
        : "SELECT array_agg(seq::text) FROM session_events WHERE org_id = $1 AND session_id = $3 AND data->>'message' = $2";

    private static async Task<(int Status, string? Answer, TimeSpan? RetryAfter)> SendAsync(
        HttpClient http, Uri node, string path, object body, string key, string token, string kind, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(node, path)) { Content = JsonContent.Create(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("Idempotency-Key", key);
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            string? answer = null;
            if (response.IsSuccessStatusCode)
            {
                var json = JsonDocument.Parse(text).RootElement;
                answer = kind == "entry" ? json.GetProperty("time_entry").GetProperty("id").GetString() : json.GetProperty("event").GetProperty("seq").ToString();
            }

            var wait = response.Headers.RetryAfter?.Delta;
            return ((int)response.StatusCode, answer, wait is { } w && w > TimeSpan.FromSeconds(2) ? TimeSpan.FromSeconds(1) : wait);
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return (0, null, null);
        }
    }

    private async Task<Guid> StartSessionAsync(HttpClient http, Tenant tenant, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(victim, "/api/v1/sessions"))
        {
            Content = JsonContent.Create(new { project_id = tenant.ProjectId, description = "keyed retry" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tenant.Pat);
        using var response = await http.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
        return json.GetProperty("session").GetProperty("id").GetGuid();
    }
}
