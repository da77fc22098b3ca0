using System.Security.Cryptography;
using Hourdini.Gateway.Auth;
using Hourdini.Silo.Live;

namespace Hourdini.Gateway.Web;

/// <summary>
/// The web app: server-rendered Razor Pages under Web/Pages, one script and one stylesheet, and a
/// Server-Sent Events stream that tells open pages to re-read what they show.
/// </summary>
public static class WebSetup
{
    /// <summary>How often an idle event stream sends a comment, so proxies keep it open.</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static IServiceCollection AddHourdiniWeb(this IServiceCollection services)
    {
        services.AddRazorPages(options => options.RootDirectory = "/Web/Pages");
        services.AddSingleton<EventStreams>();
        return services;
    }

    public static void MapHourdiniWeb(this WebApplication app)
    {
        app.MapRazorPages();
        app.MapGet("/app/assets/{name}", (string name, HttpContext context) =>
        {
            if (!Assets.TryGet(name, out var asset))
            {
                return Results.NotFound();
            }

            context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
            return Results.Bytes(asset.Content, asset.ContentType, entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{asset.Version}\""));
        }).AllowAnonymous().DisableRateLimiting();
        app.MapGet("/app/events", StreamChangesAsync).RequireAuthorization().DisableRequestTimeout();

        // An address nothing answers: a browser gets a page it can leave; a program still gets the API's problem
        // (404 not_found, written by the status code pages of Http/Problems.cs).
        app.Use(async (context, next) =>
        {
            await next(context);
            if (context.Response is { StatusCode: 404, HasStarted: false } && context.GetEndpoint() is null
                && !context.Request.Path.StartsWithSegments("/api") && !context.Request.Path.StartsWithSegments("/mcp")
                && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.ContentType = "text/html; charset=utf-8";
                await context.Response.WriteAsync($$"""
                    <!DOCTYPE html>
                    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
                    <title>Page not found · Hourdini</title><link rel="stylesheet" href="{{Assets.Url("app.css")}}"></head>
                    <body class="bare"><main class="auth-card"><h1>Page not found</h1>
                    <p>There is no page at this address. It may have moved, or the link is mistyped.</p>
                    <p><a class="btn primary" href="/">Go to Today</a></p></main></body></html>
                    """);
            }
        });
    }

    /// <summary>
    /// <c>event: change</c> whenever the caller's timer, sessions or entries change on any node
    /// (PostgreSQL NOTIFY through <see cref="ChangeFeed"/>); the page then re-reads its live parts.
    /// </summary>
    private static async Task StreamChangesAsync(HttpContext context, ChangeFeed feed, EventStreams streams, IHostApplicationLifetime lifetime)
    {
        var caller = context.Caller();
        using var slot = streams.TryOpen(caller.OrgId, caller.UserId);
        if (slot is null)
        {
            context.Response.Headers.RetryAfter = "30";
            await Http.Problems.Write(context, 429, "too_many_streams", "Too many requests",
                "Too many live-update streams are open for you; close some tabs and retry.");
            return;
        }

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var ct = stopping.Token;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no"; // nginx: pass events on at once
        using var subscription = feed.Subscribe(caller.OrgId, caller.UserId);
        try
        {
            await context.Response.WriteAsync("retry: 2000\n\n", ct);
            await context.Response.Body.FlushAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(KeepAlive);
                bool woken;
                try
                {
                    woken = await subscription.WaitAsync(wait.Token);
                    if (!woken)
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    woken = false;
                }

                if (woken)
                {
                    subscription.TryTake();
                }

                await context.Response.WriteAsync(woken ? "event: change\ndata: {}\n\n" : ": keep-alive\n\n", ct);
                await context.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The page went away or the node is stopping; the browser reconnects by itself.
        }
    }

    /// <summary>
    /// Open live-update streams per user on this node, capped (<c>Hourdini:Limits:EventStreamsPerUser</c>) so one caller
    /// cannot hold unbounded connections and feed subscriptions (issue 24, item 8). nginx routes a browser by its cookie,
    /// so one user's tabs meet on one node.
    /// </summary>
    public sealed class EventStreams(Microsoft.Extensions.Options.IOptions<Protection.LimitOptions> limits)
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<(Guid, Guid), int> _open = new();

        /// <summary>A slot to hold while streaming, or null when the user has as many as allowed.</summary>
        public IDisposable? TryOpen(Guid orgId, Guid userId)
        {
            var key = (orgId, userId);
            if (_open.AddOrUpdate(key, 1, (_, n) => n + 1) > limits.Value.EventStreamsPerUser)
            {
                Close(key);
                return null;
            }

            return new Slot(this, key);
        }

        private void Close((Guid, Guid) key)
        {
            if (_open.AddOrUpdate(key, 0, (_, n) => n - 1) <= 0)
            {
                _open.TryRemove(new KeyValuePair<(Guid, Guid), int>(key, 0));
            }
        }

        private sealed class Slot(EventStreams streams, (Guid, Guid) key) : IDisposable
        {
            private int _closed;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _closed, 1) == 0)
                {
                    streams.Close(key);
                }
            }
        }
    }

    /// <summary>The app's script and stylesheet, embedded in the assembly and versioned by content hash.</summary>
    public static class Assets
    {
        private static readonly Dictionary<string, (byte[] Content, string ContentType, string Version)> Files = Load();

        public static string Url(string name) => $"/app/assets/{name}?v={Files[name].Version}";

        public static bool TryGet(string name, out (byte[] Content, string ContentType, string Version) asset) =>
            Files.TryGetValue(name, out asset);

        private static Dictionary<string, (byte[], string, string)> Load()
        {
            var assembly = typeof(WebSetup).Assembly;
            var files = new Dictionary<string, (byte[], string, string)>(StringComparer.Ordinal);
            foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.Contains(".Web.Assets.", StringComparison.Ordinal)))
            {
                var name = resource[(resource.IndexOf(".Web.Assets.", StringComparison.Ordinal) + ".Web.Assets.".Length)..];
                using var stream = assembly.GetManifestResourceStream(resource)!;
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                var content = copy.ToArray();
                var type = name.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8"
                    : name.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript; charset=utf-8"
                    : name.EndsWith(".svg", StringComparison.Ordinal) ? "image/svg+xml" : "application/octet-stream";
                files[name] = (content, type, Convert.ToHexStringLower(SHA256.HashData(content))[..12]);
            }

            return files;
        }
    }
}
