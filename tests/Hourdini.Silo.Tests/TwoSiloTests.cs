using Hourdini.Grains.Common;
using Hourdini.Grains.Projects;
using Hourdini.Grains.Sessions;
using Hourdini.Grains.Users;
using Hourdini.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Hourdini.Silo.Tests;

/// <summary>
/// Issue 23: grains on Orleans' <c>TestCluster</c> (two silos in this process, our grain storage on a real PostgreSQL).
/// Orleans keeps one activation of a grain across the cluster, so a user's calls arriving at both silos reach the same
/// activation and take turns in it instead of racing each other's version checks (R3).
/// </summary>
public sealed class TwoSiloTests : IAsyncLifetime
{
    private readonly Guid _org = Guid.NewGuid();
    private readonly Guid _user = Guid.NewGuid();
    private readonly Guid _project = Guid.NewGuid();
    private TestCluster _cluster = null!;
    private string _database = null!;

    public async Task InitializeAsync()
    {
        _database = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync();

        // The silos' providers read Orleans' tables as they start, before a hosted service of ours could migrate.
        await using var db = NpgsqlDataSource.Create(_database);
        await new Storage.Migrator(db).MigrateAsync(default);

        var builder = new TestClusterBuilder(2);
        builder.Properties["HOURDINI_DATABASE"] = _database;
        builder.AddSiloBuilderConfigurator<HourdiniGrains>();
        _cluster = builder.Build();
        await _cluster.DeployAsync();

        var client = Guid.NewGuid();
        await using var batch = new NpgsqlBatch(await db.OpenConnectionAsync())
        {
            BatchCommands =
            {
                Storage.Db.Command("INSERT INTO orgs (id, name, created_at) VALUES ($1, 'o', now())", _org),
                Storage.Db.Command("INSERT INTO users (id, email, email_key, password_hash, name, created_at) VALUES ($1, 'u@x', 'u@x', 'h', 'u', now())", _user),
                Storage.Db.Command("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, 'owner', now())", _org, _user),
                Storage.Db.Command("INSERT INTO clients (org_id, id, name, currency, default_rate, color, created_at) VALUES ($1, $2, 'c', 'EUR', 10, '#000000', now())", _org, client),
                Storage.Db.Command("INSERT INTO projects (org_id, id, client_id, name, created_at) VALUES ($1, $2, $3, 'p', now())", _org, _project, client),
            },
        };
        await batch.ExecuteNonQueryAsync();
        await batch.Connection!.DisposeAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Calls_from_both_silos_reach_the_one_activation_of_a_user_and_never_conflict() // R3, issue 23
    {
        var silos = _cluster.Silos.Cast<InProcessSiloHandle>().Select(s => s.SiloHost.Services.GetRequiredService<IGrainFactory>()).ToArray();
        Assert.Equal(2, silos.Length);
        var key = GrainKeys.For(_org, _user);
        var terms = new ProjectTerms(_project, 10, "EUR", BillAgentTime: true);

        var sessions = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            var started = await silos[i % 2].GetGrain<IUserGrain>(key).StartSessionAsync(new StartSession(terms, $"s{i}", BeatKind.Idle));
            sessions.Add(started.Session.Id);
        }

        // Both silos focus the sessions at once, many times over: each call is a turn of the same activation.
        var calls = Enumerable.Range(0, 40).Select(i =>
            silos[i % 2].GetGrain<IUserGrain>(key).BeatAsync(sessions[i % sessions.Count], BeatKind.Active, BeatKind.Idle, null));
        await Task.WhenAll(calls); // no InconsistentStateException: nothing raced

        var userGrain = silos[0].GetGrain<IUserGrain>(key).GetGrainId();
        var statistics = await silos[1].GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        Assert.Single(statistics, s => s.GrainId == userGrain);

        // One active beat in the database, in the session the last turn focused.
        await using var db = NpgsqlDataSource.Create(_database);
        await using var command = db.CreateCommand("SELECT count(*) FROM beats WHERE org_id = $1 AND user_id = $2 AND kind = 'active' AND ended_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = _org });
        command.Parameters.Add(new NpgsqlParameter { Value = _user });
        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_session_ended_through_one_silo_is_stopped_for_the_other() // R7
    {
        var silos = _cluster.Silos.Cast<InProcessSiloHandle>().Select(s => s.SiloHost.Services.GetRequiredService<IGrainFactory>()).ToArray();
        var key = GrainKeys.For(_org, _user);
        var started = await silos[0].GetGrain<IUserGrain>(key).StartSessionAsync(
            new StartSession(new ProjectTerms(_project, 10, "EUR", false), "work", BeatKind.Idle));
        var ended = await silos[1].GetGrain<IUserGrain>(key).EndSessionAsync(started.Session.Id, null);
        Assert.True(ended.Session.IsStopped);

        var session = silos[0].GetGrain<ISessionGrain>(GrainKeys.For(_org, started.Session.Id));
        var refused = await Assert.ThrowsAsync<Refusal>(() => session.LogAsync(new SessionCaller(_user, null), "late", null));
        Assert.Equal("session_stopped", refused.Code);
    }

    /// <summary>Our grains and storage on the test cluster's silos, which bring their own membership and ports.</summary>
    private sealed class HourdiniGrains : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.Services.AddHourdiniData(siloBuilder.Configuration);
            siloBuilder.AddHourdiniGrains(siloBuilder.Configuration);
        }
    }
}
