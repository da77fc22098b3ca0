using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polly;

namespace Hourdini.Silo.Webhooks;

public static class WebhookExtensions
{
    /// <summary>
    /// R33 on a node: the store, the address guard, the delivery client and (unless <c>Hourdini:Webhooks:Dispatch</c> is
    /// false) the dispatcher. The client connects only through the guard, follows no redirect and uses no proxy, so every
    /// connection a delivery makes is checked; its resilience pipeline gives each attempt the API's 10 s.
    /// </summary>
    public static IServiceCollection AddHourdiniWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        var options = new WebhookOptions();
        configuration.GetSection("Hourdini:Webhooks").Bind(options);
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton<WebhookAddressGuard>();
        services.AddSingleton<WebhookStore>();
        // One line per delivery at Information would drown the log; the deliveries list says what happened.
        services.AddLogging(logging => logging.AddFilter($"System.Net.Http.HttpClient.{WebhookDispatcher.HttpClientName}", LogLevel.Warning));
        services.AddHttpClient(WebhookDispatcher.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                ConnectCallback = sp.GetRequiredService<WebhookAddressGuard>().ConnectAsync,
                UseProxy = false,
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            })
            .AddResilienceHandler("webhook-delivery", pipeline => pipeline.AddTimeout(options.Timeout));
        if (options.Dispatch)
        {
            services.AddSingleton<WebhookDispatcher>();
            services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        }

        return services;
    }
}
