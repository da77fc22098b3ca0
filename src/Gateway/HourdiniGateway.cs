using Hourdini.Gateway.Api;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Gateway.Mcp;
using Hourdini.Gateway.Observability;
using Hourdini.Gateway.OpenApi;
using Hourdini.Gateway.Protection;
using Hourdini.Gateway.Web;
using Hourdini.Silo;
using Hourdini.Silo.Webhooks;

namespace Hourdini.Gateway;

/// <summary>The gateway's wiring: a co-hosted silo or an Orleans client (Hourdini:Orleans:Mode), auth, problem details, idempotency and the API surfaces.</summary>
public static class HourdiniGateway
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The application is this assembly wherever it is hosted (tests too): its Razor Pages are found by it.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(HourdiniGateway).Assembly.GetName().Name,
        });
        configure?.Invoke(builder);

        // Orleans tells every silo start and membership step at Information, Polly every grain placement it retries for
        // Orleans, ASP.NET Core every endpoint and result it runs (the default template's level for it is Warning too):
        // an operator needs their warnings. /metrics counts the requests.
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddHourdiniData(builder.Configuration);
        builder.Services.AddHourdiniWebhooks(builder.Configuration);
        builder.UseHourdiniOrleans();
        builder.Services.AddHourdiniHttp();
        builder.Services.AddHourdiniAuth();
        builder.Services.AddHourdiniOpenApi();
        builder.Services.AddHourdiniMcp();
        builder.Services.AddHourdiniWeb();
        builder.AddHourdiniProtection();
        builder.AddHourdiniMetrics();

        var app = builder.Build();
        app.UseTrustedProxies();
        app.MapHourdiniMetrics();
        app.UseSecurityHeaders();
        app.UseHourdiniProblems();
        app.UseAuthentication();
        app.UseAgentLeaseRenewal(); // R15: as soon as the agent is known, so even a rate-limited call is a sign of life
        app.UseHourdiniProtection();
        app.UseAuthorization();
        app.UseDisabledAgentRefusal();
        app.UseAgentScope(); // R21, R22: an agent token reaches only what is marked AllowAgents
        app.UseMiddleware<IdempotencyMiddleware>();

        app.MapHourdiniOpenApi();
        app.MapHealth();
        var api = app.MapGroup("/api/v1");
        api.MapAccounts();
        api.MapCatalog();
        api.MapTimer();
        api.MapSessions();
        api.MapTimeEntries();
        api.MapExports();
        api.MapImports();
        api.MapReports();
        api.MapBudgets();
        api.MapInvoices();
        api.MapAgents();
        api.MapTasks();
        api.MapWebhooks();
        app.MapHourdiniMcp();
        app.MapHourdiniDashboard();
        app.MapHourdiniWeb();
        return app;
    }
}
