using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;

namespace Hourdini.Gateway.Protection;

/// <summary>
/// Limits every node enforces on its own (section <c>Hourdini:Limits</c>): request rates per caller and
/// per client address, sign-in attempts per address, body size and request time. All refusals are
/// problem details: 429 <c>rate_limited</c> with <c>Retry-After</c>, 413 <c>payload_too_large</c>,
/// 504 <c>request_timeout</c>.
/// </summary>
public sealed class LimitOptions
{
    public const string Section = "Hourdini:Limits";

    /// <summary>Sustained requests per second for one token or signed-in user; bursts up to <see cref="PerCallerBurst"/>.</summary>
    public int PerCallerPerSecond { get; set; } = 50;

    public int PerCallerBurst { get; set; } = 200;

    /// <summary>Sustained requests per second from one client address, whoever is calling.</summary>
    public int PerAddressPerSecond { get; set; } = 200;

    public int PerAddressBurst { get; set; } = 1000;

    /// <summary>Sign-up and log-in attempts per client address per minute, on each node.</summary>
    public int SignInPerMinute { get; set; } = 10;

    /// <summary>
    /// Failed sign-ins per account (email, known or not) within <see cref="FailedSignInWindow"/> after which every node
    /// answers 429 <c>too_many_attempts</c> until the oldest leaves the window (API.md "Accounts"; counted in PostgreSQL).
    /// </summary>
    public int FailedSignInsPerAccount { get; set; } = 10;

    public TimeSpan FailedSignInWindow { get; set; } = TimeSpan.FromMinutes(15);

    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Live-update streams (<c>/app/events</c>) one user may hold open on a node: a tab each.</summary>
    public int EventStreamsPerUser { get; set; } = 20;

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long an <c>Idempotency-Key</c>'s claim lasts without an answer. Longer than <see cref="RequestTimeout"/>, so a
    /// running request keeps it; once it lapses the request can no longer be running (its node died) and a retry takes it
    /// over, recovering its outcome.
    /// </summary>
    public TimeSpan IdempotencyClaimLease { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>
    /// The only proxies whose <c>X-Forwarded-For</c>/<c>-Proto</c> name the real client (none by default, not even
    /// loopback: a header from anyone else is ignored, so rotating it cannot dodge per-address limits). deploy/cluster.sh
    /// names its nginx here.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];
}

public static class ProtectionSetup
{
    public const string SignInPolicy = "sign-in";

    public static WebApplicationBuilder AddHourdiniProtection(this WebApplicationBuilder builder)
    {
        var limits = builder.Configuration.GetSection(LimitOptions.Section).Get<LimitOptions>() ?? new LimitOptions();
        builder.Services.Configure<LimitOptions>(builder.Configuration.GetSection(LimitOptions.Section));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = limits.MaxBodyBytes);
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            // One proxy hop (nginx), believed only when it is one named in configuration: the defaults trust any
            // loopback peer, and a client on this machine could then name any address it likes (issue 24, item 4).
            // With no proxy named the headers are not read at all: empty known lists would make the middleware trust anyone.
            options.ForwardedHeaders = limits.TrustedProxies.Length == 0
                ? ForwardedHeaders.None
                : ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.ForwardLimit = 1;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var proxy in limits.TrustedProxies)
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        });

        builder.Services.AddRequestTimeouts(options => options.DefaultPolicy = new RequestTimeoutPolicy
        {
            Timeout = limits.RequestTimeout,
            WriteTimeoutResponse = context =>
                Problems.Write(context, 504, "request_timeout", "Request timeout", "The request took too long and was abandoned; retry it."),
        });

        builder.Services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context => CallerKey(context) is { } caller
                    ? RateLimitPartition.GetTokenBucketLimiter(caller, _ => Bucket(limits.PerCallerPerSecond, limits.PerCallerBurst))
                    : RateLimitPartition.GetNoLimiter("anonymous")),
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    RateLimitPartition.GetTokenBucketLimiter(AddressKey(context), _ => Bucket(limits.PerAddressPerSecond, limits.PerAddressBurst))));
            options.AddPolicy(SignInPolicy, context => RateLimitPartition.GetFixedWindowLimiter(AddressKey(context), _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limits.SignInPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            }));
            options.OnRejected = (rejected, _) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                rejected.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(Problems.Write(
                    rejected.HttpContext, 429, "rate_limited", "Too many requests", $"Too many requests; retry in {retryAfter} s."));
            };
        });
        return builder;
    }

    /// <summary>Before anything reads the client's address or scheme.</summary>
    public static void UseTrustedProxies(this WebApplication app) => app.UseForwardedHeaders();

    /// <summary>After authentication, so limits know the caller.</summary>
    public static void UseHourdiniProtection(this WebApplication app)
    {
        app.UseCrossOriginProtection();
        app.UseMcpOriginProtection();
        app.UseRateLimiter();
        app.UseRequestTimeouts();
    }

    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst) => new()
    {
        TokenLimit = Math.Max(1, burst),
        TokensPerPeriod = Math.Max(1, perSecond),
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    /// <summary>A token's own bucket, or a signed-in user's (per org membership).</summary>
    private static string? CallerKey(HttpContext context) => AuthSetup.TryCaller(context.User) is { } caller
        ? caller.TokenId is { } token ? $"token:{token}" : $"user:{caller.OrgId}/{caller.UserId}"
        : null;

    private static string AddressKey(HttpContext context) => "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}
