using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Hourdini.Grains.Common;
using Hourdini.Grains.Users;
using Hourdini.Silo;
using Hourdini.Silo.Storage;
using Hourdini.StorageBench;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

// The same grain writes through both storages, one after the other, on the same PostgreSQL (DESIGN.md, "Grain storage"):
//   dotnet Hourdini.StorageBench.dll --db CONNECTION [--grains 2000] [--callers 64] [--seconds 10] [--json FILE]
// Each write flips a user's timer on or off and stores the whole state: "tracking" as the user_tracking row with its
// version check (TrackingGrainStorage, group commit), "documents" as a JSON document in Orleans' own table
// (Microsoft.Orleans.Persistence.AdoNet, one transaction per write).
var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(x => x.a[2..], x => x.i + 1 < args.Length ? args[x.i + 1] : "");
var database = options["db"];
var grains = int.Parse(options.GetValueOrDefault("grains", "2000"));
var callers = int.Parse(options.GetValueOrDefault("callers", "64"));
var seconds = double.Parse(options.GetValueOrDefault("seconds", "10"), System.Globalization.CultureInfo.InvariantCulture);

await using (var db = SiloExtensions.CreateDataSource(database))
{
    await new Migrator(db).MigrateAsync(default);
}

var org = Guid.NewGuid();
var users = Enumerable.Range(0, grains).Select(_ => Guid.CreateVersion7()).ToArray();
await SeedAsync(database, org, users);

var builder = Host.CreateApplicationBuilder();
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["HOURDINI_DATABASE"] = database });
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddHourdiniData(builder.Configuration);
builder.UseOrleans(silo => silo.UseLocalhostClustering(siloPort: FreePort(), gatewayPort: FreePort()).AddHourdiniGrains(builder.Configuration));
using var host = builder.Build();
await host.StartAsync();
var factory = host.Services.GetRequiredService<IGrainFactory>();

var results = new Dictionary<string, object>();
foreach (var storage in new[] { StorageNames.Tracking, StorageNames.Documents })
{
    IStorageBenchGrain Grain(Guid user) => storage == StorageNames.Tracking
        ? factory.GetGrain<ITrackingBenchGrain>(GrainKeys.For(org, user))
        : factory.GetGrain<IDocumentBenchGrain>(GrainKeys.For(org, user));

    // Every grain active and its first row written before the clock starts.
    await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = callers }, async (user, _) => await Grain(user).FlipAsync());

    var latencies = new ConcurrentBag<double>();
    var failures = 0;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
    {
        var random = new Random(caller);
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await Grain(users[random.Next(users.Length)]).FlipAsync();
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            catch (Exception)
            {
                Interlocked.Increment(ref failures);
            }
        }
    })));
    var elapsed = clock.Elapsed.TotalSeconds;
    var sorted = latencies.Order().ToArray();
    double Percentile(double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p / 100 * sorted.Length))];
    results[storage] = new { writes_per_second = sorted.Length / elapsed, p50_ms = Percentile(50), p99_ms = Percentile(99), failures };
    Console.WriteLine($"  {storage}: {sorted.Length / elapsed:F0} grain writes/s, p50 {Percentile(50):F1} ms, p99 {Percentile(99):F1} ms, {failures} failed ({grains} grains, {callers} callers, {elapsed:F0} s)");
}

await host.StopAsync();
if (options.TryGetValue("json", out var json))
{
    await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new { grains, callers, seconds, storages = results }));
}

return 0;

static int FreePort()
{
    using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    probe.Start();
    return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
}

static async Task SeedAsync(string database, Guid org, Guid[] users)
{
    await using var connection = new NpgsqlConnection(database);
    await connection.OpenAsync();
    await using var batch = new NpgsqlBatch(connection)
    {
        BatchCommands =
        {
            Db.Command("INSERT INTO orgs (id, name, created_at) VALUES ($1, 'storage bench', now())", org),
            Db.Command(
                "INSERT INTO users (id, email, email_key, password_hash, name, created_at) SELECT u, u::text || '@bench', u::text || '@bench', 'h', 'bench', now() FROM unnest($1::uuid[]) u",
                users),
            Db.Command("INSERT INTO memberships (org_id, user_id, role, created_at) SELECT $1, u, 'member', now() FROM unnest($2::uuid[]) u", org, users),
        },
    };
    await batch.ExecuteNonQueryAsync();
}
