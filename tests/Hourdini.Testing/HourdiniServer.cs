using Hourdini.Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit;

namespace Hourdini.Testing;

/// <summary>
/// The real gateway on Kestrel, on a free loopback port, over its own fresh PostgreSQL database.
/// Tests talk to it over real HTTP. One per test class (xunit class fixture).
/// </summary>
public sealed class HourdiniServer : IAsyncLifetime, IAsyncDisposable
{
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public string ConnectionString { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    /// <summary>
    /// Settings for this node, e.g. <c>Hourdini:AgentSweepInterval</c>. Every test calls from one
    /// address and signs many users up, so rate limits are out of the way unless a test sets them.
    /// </summary>
    public Dictionary<string, string?> Settings { get; } = new()
    {
        ["Hourdini:Limits:PerCallerPerSecond"] = "100000",
        ["Hourdini:Limits:PerCallerBurst"] = "100000",
        ["Hourdini:Limits:PerAddressPerSecond"] = "100000",
        ["Hourdini:Limits:PerAddressBurst"] = "100000",
        ["Hourdini:Limits:SignInPerMinute"] = "100000",
    };

    /// <summary>Services registered before Hourdini's own, to replace one of them (a test hook such as <c>ITurnSteps</c>).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        await StartOnAsync(await cluster.CreateDatabaseAsync());
    }

    /// <summary>Another node over the same database, as a second server process would be.</summary>
    public static async Task<HourdiniServer> StartNodeAsync(
        string connectionString, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var node = new HourdiniServer { ConfigureServices = services };
        foreach (var (key, value) in settings ?? [])
        {
            node.Settings[key] = value;
        }

        await node.StartOnAsync(connectionString);
        return node;
    }

    private async Task StartOnAsync(string connectionString)
    {
        ConnectionString = connectionString;
        _app = HourdiniGateway.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(Settings) { ["HOURDINI_DATABASE"] = ConnectionString });
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            ConfigureServices?.Invoke(builder.Services);
        });
        try
        {
            await _app.StartAsync();
        }
        catch
        {
            // A node that refused to start (e.g. settings it cannot take) has nothing to stop.
            await _app.DisposeAsync();
            _app = null;
            throw;
        }

        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    public async Task<NpgsqlConnection> OpenDatabaseAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
