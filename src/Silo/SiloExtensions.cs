using System.Net;
using System.Net.Sockets;
using Hourdini.Grains.Agents;
using Hourdini.Grains.Common;
using Hourdini.Grains.Entries;
using Hourdini.Grains.Sessions;
using Hourdini.Grains.Users;
using Hourdini.Grains.Housekeeping;
using Hourdini.Silo.Agents;
using Hourdini.Silo.Housekeeping;
using Hourdini.Silo.Live;
using Hourdini.Silo.Storage;
using Hourdini.Silo.Storage.Accounts;
using Hourdini.Silo.Storage.Agents;
using Hourdini.Silo.Storage.Catalog;
using Hourdini.Silo.Storage.Entries;
using Hourdini.Silo.Storage.Idempotency;
using Hourdini.Silo.Storage.Reports;
using Hourdini.Silo.Storage.Tracking;
using Microsoft.Extensions.Configuration;
using Orleans.Dashboard;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;

namespace Hourdini.Silo;

/// <summary>
/// How a process joins Hourdini: every node needs the data layer (<see cref="AddHourdiniData"/>); a silo adds Orleans with
/// membership, reminders and grain storage in PostgreSQL (<see cref="AddHourdiniSilo"/>); a gateway either co-hosts a
/// silo or is an Orleans client of a silo cluster (<see cref="UseHourdiniOrleans"/>, setting <c>Hourdini:Orleans:Mode</c>).
/// </summary>
public static class SiloExtensions
{
    /// <summary>Orleans' ADO.NET providers find PostgreSQL by this invariant name.</summary>
    public const string AdoNetInvariant = "Npgsql";

    /// <summary>How long a grain call waits for its answer by default, silo or client (<c>Hourdini:Orleans:ResponseTimeout</c>).</summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The database: <c>ConnectionStrings:Hourdini</c> or <c>HOURDINI_DATABASE</c>.</summary>
    public static string ConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Hourdini") ?? configuration["HOURDINI_DATABASE"]
        ?? throw new InvalidOperationException("No database configured: set ConnectionStrings:Hourdini or HOURDINI_DATABASE.");

    /// <summary>
    /// What every node uses, silo or gateway: the data source, migrations at start-up (first, before Orleans reads its
    /// membership tables), the group committer, the stores, and the live-change notifier and feed.
    /// </summary>
    public static IServiceCollection AddHourdiniData(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = ConnectionString(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(_ => CreateDataSource(connectionString));
        services.AddSingleton(new GroupCommitOptions
        {
            MaxInFlight = configuration.GetValue("Hourdini:GroupCommit:MaxInFlight", new GroupCommitOptions().MaxInFlight),
            MaxTurnsPerGroup = configuration.GetValue("Hourdini:GroupCommit:MaxTurnsPerGroup", new GroupCommitOptions().MaxTurnsPerGroup),
        });
        services.AddSingleton<IStorageBackend, PostgresStorage>();
        services.AddHostedService<MigrateOnStart>(); // first: everything after it may touch the schema
        services.AddSingleton<Migrator>();
        services.AddSingleton<UserStateStorage>();
        services.AddSingleton<SessionStateStorage>();
        services.AddSingleton<CallerCache>();
        services.AddSingleton<AccountStore>();
        services.AddSingleton<SignInStore>();
        services.AddSingleton<InvitationStore>();
        services.AddSingleton<CatalogStore>();
        services.AddSingleton<TrackingQueries>();
        services.AddSingleton<EntryStore>();
        services.AddSingleton<EntryExport>();
        services.AddSingleton<Storage.Imports.ImportStore>();
        services.AddSingleton<ReportStore>();
        services.AddSingleton<Storage.Budgets.BudgetStore>();
        services.AddSingleton<Storage.Invoices.InvoiceStore>();
        services.AddSingleton<IdempotencyStore>();
        services.AddSingleton<DataProtectionKeys>();
        services.AddSingleton<AgentStore>();
        services.AddSingleton<ChangeNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangeNotifier>());
        services.AddSingleton<ChangeFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangeFeed>());
        return services;
    }

    /// <summary>
    /// The gateway's grains: a co-hosted silo (<c>Hourdini:Orleans:Mode</c> = <c>cohosted</c>, the default, one process
    /// per node) or a client of a silo cluster (<c>client</c>). Call after <see cref="AddHourdiniData"/>.
    /// </summary>
    public static IHostApplicationBuilder UseHourdiniOrleans(this IHostApplicationBuilder builder)
    {
        var mode = builder.Configuration["Hourdini:Orleans:Mode"] ?? "cohosted";
        switch (mode)
        {
            case "cohosted":
                builder.UseOrleans(silo => silo.AddHourdiniSilo(builder.Configuration));
                break;
            case "client":
                builder.UseOrleansClient(client => client.AddHourdiniClient(builder.Configuration));
                break;
            default:
                throw new InvalidOperationException($"Hourdini:Orleans:Mode is \"{mode}\"; it must be \"cohosted\" or \"client\".");
        }

        return builder;
    }

    /// <summary>
    /// A silo of the Hourdini cluster: membership, reminders and document storage through Orleans' ADO.NET providers on
    /// PostgreSQL (tables from our migrations), the user and session grains on <see cref="TrackingGrainStorage"/>, the
    /// agents' auto-stop sweep (R15), and failure detection tuned so callers of a crashed silo are not left waiting.
    /// </summary>
    public static ISiloBuilder AddHourdiniSilo(this ISiloBuilder silo, IConfiguration configuration)
    {
        var connectionString = ConnectionString(configuration);
        var orleans = configuration.GetSection("Hourdini:Orleans");
        silo.Configure<ClusterOptions>(options => ConfigureCluster(options, orleans));
        silo.UseAdoNetClustering(options =>
        {
            options.Invariant = AdoNetInvariant;
            options.ConnectionString = connectionString;
        });
        silo.UseAdoNetReminderService(options =>
        {
            options.Invariant = AdoNetInvariant;
            options.ConnectionString = connectionString;
        });
        var address = IPAddress.Parse(orleans["Address"] ?? "127.0.0.1");
        silo.ConfigureEndpoints(address, Port(orleans, "SiloPort"), Port(orleans, "GatewayPort"), listenOnAnyHostAddress: false);

        // Failure detection (README, "Consistency across grains"; docs/RELIABILITY.md has the measured recovery).
        silo.Configure<ClusterMembershipOptions>(options =>
        {
            options.ProbeTimeout = orleans.GetValue("ProbeTimeout", TimeSpan.FromSeconds(1));
            options.NumMissedProbesLimit = orleans.GetValue("NumMissedProbesLimit", 3);
            options.NumVotesForDeathDeclaration = orleans.GetValue("NumVotesForDeathDeclaration", 2);
            options.TableRefreshTimeout = orleans.GetValue("TableRefreshTimeout", TimeSpan.FromSeconds(5));
            options.IAmAliveTablePublishTimeout = orleans.GetValue("IAmAliveTablePublishTimeout", TimeSpan.FromSeconds(10));
        });
        // A call waits this long for its answer, its turn in the grain's queue included. A dead silo's calls fail sooner:
        // when membership declares it dead (about 3 s with the probes above) Orleans breaks every call outstanding to it.
        // So this only bounds a silo that is alive and does not answer, and must stay far above a busy grain's queue of
        // calls waiting behind slow commits (docs/RELIABILITY.md).
        silo.Configure<SiloMessagingOptions>(options =>
            options.ResponseTimeout = orleans.GetValue("ResponseTimeout", ResponseTimeout));
        if (DashboardEnabled(configuration))
        {
            silo.AddDashboard(options => options.HideTrace = true); // the gateway maps it, for operators only
        }

        return silo.AddHourdiniGrains(configuration);
    }

    /// <summary>
    /// The grains and what they need, whatever the cluster: the tracking storage, document storage, the rows a turn
    /// stages, idle collection and the agents' auto-stop sweep (R15). <see cref="AddHourdiniSilo"/> adds it; grain tests on
    /// Orleans' <c>TestCluster</c> add it alone.
    /// </summary>
    public static ISiloBuilder AddHourdiniGrains(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.AddAdoNetGrainStorage(StorageNames.Documents, options =>
        {
            options.Invariant = AdoNetInvariant;
            options.ConnectionString = ConnectionString(configuration);
        });
        silo.Services.AddGrainStorage(StorageNames.Tracking, (sp, _) => ActivatorUtilities.CreateInstance<TrackingGrainStorage>(sp));
        silo.Configure<GrainCollectionOptions>(options =>
        {
            options.CollectionAge = configuration.GetValue("Hourdini:IdleTimeout", TimeSpan.FromMinutes(15));
            options.CollectionQuantum = configuration.GetValue("Hourdini:CollectionInterval", TimeSpan.FromMinutes(1));
            // An open session nobody calls (an agent that went quiet, waiting on a long tool call or crashed before its
            // lease runs out, R15) holds its timeline in memory for nothing: it goes after 2 idle minutes, not 15, and
            // its next call reads it back in one round trip. An agent's beats and logs keep it (its heartbeats renew
            // the lease in the gateway and do not reach it, so an agent that only heartbeats lets it go, harmlessly).
            var sessionIdle = configuration.GetValue("Hourdini:SessionIdleTimeout", TimeSpan.FromMinutes(2));
            if (sessionIdle <= options.CollectionQuantum)
            {
                throw new InvalidOperationException(
                    $"Hourdini:SessionIdleTimeout ({sessionIdle}) must be longer than Hourdini:CollectionInterval ({options.CollectionQuantum}), " +
                    "the period at which idle activations are collected.");
            }

            options.ClassSpecificCollectionAge[typeof(SessionGrain).FullName!] = sessionIdle;
        });

        // What a grain's turn stages beside its state: one set per activation (its own service scope).
        var services = silo.Services;
        services.AddScoped<PendingRows>();
        services.AddScoped<IPendingRows>(sp => sp.GetRequiredService<PendingRows>());
        services.AddScoped<ITimeEntryLedger, TimeEntryLedger>();
        services.AddScoped<ISessionJournal, SessionJournal>();
        services.AddScoped<IAgentInbox, AgentInbox>();
        services.AddScoped<ITaskBoard, TaskBoard>();
        services.AddScoped<IAgentPresence, AgentPresence>();
        services.TryAddSingleton<ITurnSteps, NoTurnSteps>();
        silo.AddIncomingGrainCallFilter<RequestCallFilter>();
        services.AddSingleton<IExpiredRecords, ExpiredRecords>();
        services.AddHostedService<HousekeepingSchedule>();

        services.AddSingleton(new AutoStopOptions
        {
            SweepInterval = configuration.GetValue("Hourdini:AgentSweepInterval", TimeSpan.FromSeconds(1)),
        });
        services.AddSingleton<AgentAutoStop>();
        services.AddHostedService(sp => sp.GetRequiredService<AgentAutoStop>());
        return silo;
    }

    /// <summary>A client of a silo cluster: finds the silos' gateways in the same membership table.</summary>
    /// <summary><c>Hourdini:Dashboard:Enabled</c>: the Orleans Dashboard's silo and client parts (off by default: it adds a filter to every grain call).</summary>
    public static bool DashboardEnabled(IConfiguration configuration) => configuration.GetValue("Hourdini:Dashboard:Enabled", false);

    public static IClientBuilder AddHourdiniClient(this IClientBuilder client, IConfiguration configuration)
    {
        var connectionString = ConnectionString(configuration);
        var orleans = configuration.GetSection("Hourdini:Orleans");
        client.Configure<ClusterOptions>(options => ConfigureCluster(options, orleans));
        client.UseAdoNetClustering(options =>
        {
            options.Invariant = AdoNetInvariant;
            options.ConnectionString = connectionString;
        });
        client.Configure<ClientMessagingOptions>(options =>
            options.ResponseTimeout = orleans.GetValue("ResponseTimeout", ResponseTimeout));
        client.Configure<GatewayOptions>(options =>
            options.GatewayListRefreshPeriod = orleans.GetValue("TableRefreshTimeout", TimeSpan.FromSeconds(5)));

        if (DashboardEnabled(configuration))
        {
            client.AddDashboard(options => options.HideTrace = true); // the silos add it too (same setting)
        }

        // The gateway may start before any silo: keep trying instead of failing the process.
        client.UseConnectionRetryFilter(async (_, cancellationToken) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            return true;
        });
        return client;
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

    private static void ConfigureCluster(ClusterOptions options, IConfiguration orleans)
    {
        options.ClusterId = orleans["ClusterId"] ?? "hourdini";
        options.ServiceId = orleans["ServiceId"] ?? "hourdini";
    }

    /// <summary>A configured port; 0 (the default) takes a free one, which suits a node that is alone on its machine and tests.</summary>
    private static int Port(IConfiguration orleans, string name)
    {
        var port = orleans.GetValue(name, 0);
        if (port != 0)
        {
            return port;
        }

        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Applies migrations before the host starts serving.</summary>
    private sealed class MigrateOnStart(Migrator migrator) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => migrator.MigrateAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
