using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Hourdini.Testing;

/// <summary>
/// A private, throw-away PostgreSQL cluster for one test process: initdb in a temp folder, started on
/// a free loopback port, stopped and deleted when the process exits. <c>HOURDINI_TEST_PG</c> (a
/// connection string to a server whose user may create databases) replaces it. Each test class asks
/// for its own fresh database.
/// </summary>
public sealed class PostgresCluster
{
    private static readonly Lazy<Task<PostgresCluster>> Shared = new(StartAsync);
    private readonly string _adminConnectionString;

    private PostgresCluster(string adminConnectionString) => _adminConnectionString = adminConnectionString;

    public static Task<PostgresCluster> GetAsync() => Shared.Value;

    /// <summary>
    /// A new, empty database; returns its connection string. It pools connections, as the service's own does (the admin
    /// connection string does not, so no pool holds the maintenance database): without a pool every query opened a new
    /// server process, which made a focus change ten times slower than in production on a machine where fork is dear.
    /// Idle connections close after 15 s, so the test classes' finished servers do not hold the cluster's slots.
    /// </summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"hd_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(_adminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name, Pooling = true, MaxPoolSize = 50, ConnectionIdleLifetime = 15 }.ConnectionString;
    }

    /// <summary>
    /// Deletes the clusters earlier test processes left behind: a process that is killed (a timeout, Ctrl-C) never runs
    /// its exit handler, and each cluster holds 40 MB to 1 GB. Only folders untouched for an hour whose postmaster is not
    /// running are deleted, so a cluster another test process is starting or using now is never touched.
    /// </summary>
    private static void SweepStale()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), "hourdini-test-pg-*"))
        {
            try
            {
                if (Directory.GetLastWriteTimeUtc(folder) > DateTime.UtcNow.AddHours(-1))
                {
                    continue;
                }

                var pidFile = Path.Combine(folder, "data", "postmaster.pid");
                if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && Directory.Exists($"/proc/{pid}"))
                {
                    continue; // its server still runs
                }

                Directory.Delete(folder, recursive: true);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // Another process is deleting it, or it is not ours to delete: leave it.
            }
        }
    }

    private static async Task<PostgresCluster> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("HOURDINI_TEST_PG") is { Length: > 0 } external)
        {
            return new PostgresCluster(external);
        }

        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderBy(d => d).LastOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException(
                "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb). Run deploy/test.sh, which installs it, or set HOURDINI_TEST_PG.");
        }

        SweepStale();
        var root = Path.Combine(Path.GetTempPath(), $"hourdini-test-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", root]);
        }

        var data = Path.Combine(root, "data");
        await RunAsOwnerAsync(asRoot, Path.Combine(bin, "initdb"), ["-D", data, "-U", "hourdini", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);

        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var port = FreePort();
            try
            {
                await RunAsOwnerAsync(asRoot, Path.Combine(bin, "pg_ctl"),
                [
                    "-D", data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "start", "-o",
                    $"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c shared_buffers=256MB",
                ]);
                AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                {
                    RunAsOwnerAsync(asRoot, Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"]).Wait(TimeSpan.FromSeconds(20));
                    try
                    {
                        Directory.Delete(root, recursive: true);
                    }
                    catch (IOException)
                    {
                    }
                };
                return new PostgresCluster($"Host=127.0.0.1;Port={port};Username=hourdini;Database=postgres;Pooling=false");
            }
            catch (InvalidOperationException error)
            {
                last = error; // the port was taken between probing and binding: try another
            }
        }

        throw new InvalidOperationException("Could not start the test PostgreSQL cluster.", last);
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static Task RunAsOwnerAsync(bool asRoot, string file, string[] args) =>
        asRoot ? RunAsync("runuser", ["-u", "postgres", "--", file, .. args]) : RunAsync(file, args);

    private static Task RunAsync(string file, string[] args) => Processes.RunAsync(file, args, workingDirectory: "/");
}
