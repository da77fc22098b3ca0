using Hourdini.Grains.Agents;
using Hourdini.Grains.Entries;
using Hourdini.Grains.Hosting;
using Hourdini.Grains.Sessions;
using Hourdini.Grains.Users;
using Hourdini.Silo.Activation;
using Hourdini.Silo.Agents;
using Hourdini.Silo.Live;
using Hourdini.Silo.Storage;
using Hourdini.Silo.Storage.Accounts;
using Hourdini.Silo.Storage.Agents;
using Hourdini.Silo.Storage.Catalog;
using Hourdini.Silo.Storage.Entries;
using Hourdini.Silo.Storage.Idempotency;
using Hourdini.Silo.Storage.Tracking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Hourdini.Silo;

public static class SiloExtensions
{
    /// <summary>
    /// The grain host on PostgreSQL: activation layer, grain storage, stores, migrations at start-up,
    /// idle collection. The connection string is <c>ConnectionStrings:Hourdini</c> or <c>HOURDINI_DATABASE</c>.
    /// </summary>
    public static IServiceCollection AddHourdiniSilo(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Hourdini") ?? configuration["HOURDINI_DATABASE"]
            ?? throw new InvalidOperationException(
                "No database configured: set ConnectionStrings:Hourdini or HOURDINI_DATABASE. The in-memory storage is for unit tests only.");

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => CreateDataSource(connectionString));
        services.AddSingleton(new ActivationOptions
        {
            IdleTimeout = configuration.GetValue("Hourdini:IdleTimeout", TimeSpan.FromMinutes(15)),
            CollectionInterval = configuration.GetValue("Hourdini:CollectionInterval", TimeSpan.FromMinutes(1)),
        });
        services.AddSingleton(new GrainTypeMap()
            .Add<IUserGrain, UserGrain>()
            .Add<ISessionGrain, SessionGrain>());
        services.AddSingleton(new GroupCommitOptions
        {
            MaxInFlight = configuration.GetValue("Hourdini:GroupCommit:MaxInFlight", new GroupCommitOptions().MaxInFlight),
            MaxTurnsPerGroup = configuration.GetValue("Hourdini:GroupCommit:MaxTurnsPerGroup", new GroupCommitOptions().MaxTurnsPerGroup),
        });
        services.AddSingleton<IStorageBackend, PostgresStorage>();
        services.AddSingleton<UserStateStorage>();
        services.AddSingleton<IGrainStorage<UserState>>(sp => sp.GetRequiredService<UserStateStorage>());
        services.AddSingleton<IGrainStorage<SessionState>, SessionStateStorage>();
        services.AddSingleton<ITimeEntryLedger, TimeEntryLedger>();
        services.AddSingleton<ISessionJournal, SessionJournal>();
        services.AddSingleton<IAgentInbox, AgentInbox>();
        services.AddSingleton<ITaskBoard, TaskBoard>();
        services.AddSingleton<IAgentPresence, AgentPresence>();
        services.AddHostedService<MigrateOnStart>(); // first: everything after it may touch the schema
        services.AddSingleton<GrainRuntime>();
        services.AddSingleton<IGrainFactory>(sp => sp.GetRequiredService<GrainRuntime>());
        services.AddHostedService<IdleCollector>();

        services.AddSingleton<Migrator>();
        services.AddSingleton<CallerCache>();
        services.AddSingleton<AccountStore>();
        services.AddSingleton<CatalogStore>();
        services.AddSingleton<TrackingQueries>();
        services.AddSingleton<EntryStore>();
        services.AddSingleton<IdempotencyStore>();
        services.AddSingleton<DataProtectionKeys>();
        services.AddSingleton<AgentStore>();
        services.AddSingleton(new AutoStopOptions
        {
            SweepInterval = configuration.GetValue("Hourdini:AgentSweepInterval", TimeSpan.FromSeconds(1)),
        });
        services.AddSingleton<AgentAutoStop>();
        services.AddHostedService(sp => sp.GetRequiredService<AgentAutoStop>());
        services.AddSingleton<ChangeNotifier>();
        services.AddSingleton<ICommitListener>(sp => sp.GetRequiredService<ChangeNotifier>());
        services.AddHostedService(sp => sp.GetRequiredService<ChangeNotifier>());
        services.AddSingleton<ChangeFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangeFeed>());
        return services;
    }

    /// <summary>
    /// Statements the hot path repeats are prepared once per connection (Npgsql auto-prepare), and a pooled
    /// connection is not reset on return (nothing here changes session state). "Max Auto Prepare" in the connection string overrides.
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 128;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }

        // Resetting would also drop the prepared statements (DISCARD ALL).
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        return builder.Build();
    }

    /// <summary>Applies migrations before the host starts serving.</summary>
    private sealed class MigrateOnStart(Migrator migrator) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => migrator.MigrateAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
