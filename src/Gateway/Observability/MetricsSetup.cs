using System.Net;
using Hourdini.Gateway.Http;
using Hourdini.Silo.Storage;
using OpenTelemetry.Metrics;

namespace Hourdini.Gateway.Observability;

/// <summary>Who may scrape <c>/metrics</c> (section <c>Hourdini:Metrics</c>).</summary>
public sealed class MetricsOptions
{
    public const string Section = "Hourdini:Metrics";

    /// <summary>A bearer token that lets a scraper from another address in; none by default (loopback only).</summary>
    public string? Token { get; set; }

    /// <summary>Off: no meters are listened to and <c>/metrics</c> is not served (for an A/B of their cost).</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>
/// Metrics with the libraries made for them (issue 28): OpenTelemetry's ASP.NET Core instrumentation (request rate and
/// latency per route), .NET runtime metrics, Npgsql's pool and command meters, Orleans' own meters (activations,
/// messaging) and Hourdini's (group commit sizes and waits, <see cref="StorageMetrics"/>), exported for Prometheus at
/// <c>/metrics</c>. Not public: a caller on this machine, or one presenting <see cref="MetricsOptions.Token"/>.
/// </summary>
public static class MetricsSetup
{
    public const string Path = "/metrics";

    private static bool Enabled(IConfiguration configuration) => configuration.GetValue($"{MetricsOptions.Section}:Enabled", true);

    public static WebApplicationBuilder AddHourdiniMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<MetricsOptions>(builder.Configuration.GetSection(MetricsOptions.Section));
        if (!Enabled(builder.Configuration))
        {
            return builder;
        }

        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddMeter("Npgsql")
            .AddMeter("Microsoft.Orleans")
            .AddMeter(StorageMetrics.MeterName)
            .AddPrometheusExporter());
        return builder;
    }

    public static void MapHourdiniMetrics(this WebApplication app)
    {
        if (!Enabled(app.Configuration))
        {
            return;
        }

        var token = app.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>()?.Token;
        app.UseWhen(context => context.Request.Path.StartsWithSegments(Path), branch => branch.Use(async (context, next) =>
        {
            var fromHere = context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address);
            var withToken = token is { Length: > 0 } && context.Request.Headers.Authorization.ToString() == $"Bearer {token}";
            if (!fromHere && !withToken)
            {
                await Problems.Write(context, 403, "forbidden", "Forbidden", "Metrics are for this machine's scraper, or one with the metrics token.");
                return;
            }

            await next(context);
        }));
        app.MapPrometheusScrapingEndpoint(Path).DisableRateLimiting().ExcludeFromDescription();
    }
}
