using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Hourdini.Load;

/// <summary>
/// One simulated caller (a person's PAT or an agent's token) on the run's shared connection pool.
/// Each call is timed from when it was due, so a late start counts against latency (no coordinated omission). How late
/// the generator itself sent it (its send lag: timers and threads on cores it shares with the server) is kept apart too.
/// With several clients (one per node), each call goes to one of them at random: the same caller is served
/// by every node at once (issue 7).
/// </summary>
public sealed class Api(IReadOnlyList<HttpClient> nodes, string token, Latencies latencies)
{
    private readonly AuthenticationHeaderValue _auth = new("Bearer", token);

    public static HttpClient CreateHttp(Uri baseAddress, int maxConnections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = maxConnections,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>
    /// Sends one call and returns its JSON body on a 2xx (an empty document for 204), or null after
    /// counting the refusal under <paramref name="kind"/>. <paramref name="expected"/> names a refusal
    /// the mix asks for: it counts as a success.
    /// </summary>
    public async Task<JsonElement?> CallAsync(string kind, HttpMethod method, string path, string? json, Due due, int? expected = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = _auth;
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        var measuring = latencies.Measuring;
        var sent = Stopwatch.GetTimestamp();
        int status;
        JsonElement? body = null;
        try
        {
            var http = nodes.Count == 1 ? nodes[0] : nodes[Random.Shared.Next(nodes.Count)];
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            status = (int)response.StatusCode;
            if (status == 503 && response.Headers.RetryAfter is null)
            {
                latencies.UnavailableWithoutRetry();
            }
            var bytes = await response.Content.ReadAsByteArrayAsync();
            if (response.IsSuccessStatusCode)
            {
                body = bytes.Length == 0 ? default(JsonElement) : JsonDocument.Parse(bytes).RootElement;
            }
            else if (status == 409 && bytes.AsSpan().IndexOf("\"concurrent_change\""u8) >= 0)
            {
                latencies.ConcurrentChange();
            }
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or IOException)
        {
            status = 0;
        }

        // Timed from when the call was due, or from when it was sent if that was earlier: a timer can wake the caller a
        // fraction of a millisecond before its due time, and such a call must not count as faster than it was.
        var done = Stopwatch.GetTimestamp();
        var start = Math.Min(due.At, sent);
        latencies.Observe(start, done);
        if (measuring)
        {
            latencies.SendLag.Record(Math.Min(due.Ready, sent), sent);
            if (body is not null || status == expected)
            {
                latencies[kind].Record(start, done);
            }
            else
            {
                latencies[kind].Fail(status);
            }
        }

        return status == expected ? default(JsonElement) : body;
    }
}

/// <summary>
/// Spaces one caller's calls: none (closed loop) or one every <c>interval</c>, on a fixed schedule. The first call is
/// due at a random point within <c>ramp</c> (at least one interval), so a fleet joins gradually over the warm-up
/// instead of all at once, as a real fleet does, and the measured window sees its steady state.
/// </summary>
public sealed class Pacer(TimeSpan? interval, Random random, TimeSpan ramp = default)
{
    private long _next = Stopwatch.GetTimestamp()
        + (interval is { } i ? (long)(random.NextDouble() * Math.Max(i.TotalSeconds, ramp.TotalSeconds) * Stopwatch.Frequency) : 0);

    /// <summary>Waits until the next call is due; returns when it was due (the start of its latency) and when the caller was ready to send it.</summary>
    public async Task<Due> NextAsync(CancellationToken stop)
    {
        var ready = Stopwatch.GetTimestamp(); // the caller's previous call has returned
        if (interval is not { } step)
        {
            return new Due(ready, ready);
        }

        var due = _next;
        _next += (long)(step.TotalSeconds * Stopwatch.Frequency);
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, stop);
        }

        return new Due(due, Math.Max(due, ready));
    }
}

/// <summary>
/// When a call was due (<see cref="At"/>, where its latency starts) and when its caller was ready to send it
/// (<see cref="Ready"/>: the same, unless the caller's previous call returned after this one was due). The send lag
/// counts from <see cref="Ready"/>: a call held up by its caller's own slow previous call is the server's delay,
/// already in that call's latency and in this one's, not the generator's.
/// </summary>
public readonly record struct Due(long At, long Ready)
{
    public static implicit operator Due(long at) => new(at, at);
}
