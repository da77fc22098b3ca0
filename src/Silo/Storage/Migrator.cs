using System.Reflection;
using Npgsql;

namespace Hourdini.Silo.Storage;

/// <summary>
/// Applies the numbered SQL files under Migrations/ in order, each in its own transaction, and
/// records them in hd_schema_migrations. Nodes starting together serialize on an advisory lock.
/// </summary>
public sealed class Migrator(NpgsqlDataSource dataSource)
{
    private const long LockKey = 0x486F757264696E69; // "Hourdini"

    public static IReadOnlyList<(int Version, string Name, string Sql)> Migrations { get; } = Load();

    public static int LatestVersion => Migrations[^1].Version;

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await Execute(connection, "SELECT pg_advisory_lock($1)", LockKey);
        try
        {
            await Execute(connection, """
                CREATE TABLE IF NOT EXISTS hd_schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """);
            // Every migration not yet recorded, in order: one merged after a higher-numbered one still runs.
            var applied = await AppliedAsync(connection, cancellationToken);
            foreach (var (version, name, sql) in Migrations.Where(m => !applied.Contains(m.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var command = new NpgsqlCommand(sql, connection, transaction))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                await Execute(connection, "INSERT INTO hd_schema_migrations (version, name) VALUES ($1, $2)", version, name);
                await transaction.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            await Execute(connection, "SELECT pg_advisory_unlock($1)", LockKey);
        }
    }

    /// <summary>True when the database answers and every migration this build knows is applied.</summary>
    public async Task<bool> IsCurrentAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await AppliedAsync(connection, cancellationToken)).IsSupersetOf(Migrations.Select(m => m.Version));
    }

    private static async Task<HashSet<int>> AppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var versions = new HashSet<int>();
        try
        {
            await using var command = new NpgsqlCommand("SELECT version FROM hd_schema_migrations", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                versions.Add(reader.GetInt32(0));
            }
        }
        catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // A database never migrated.
        }

        return versions;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await command.ExecuteNonQueryAsync();
    }

    private static List<(int, string, string)> Load()
    {
        var assembly = typeof(Migrator).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(name => name.EndsWith(".sql", StringComparison.Ordinal) && name.Contains(".Migrations.", StringComparison.Ordinal))
            .Select(name =>
            {
                var file = name[(name.IndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..];
                using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
                return (int.Parse(file[..4], System.Globalization.CultureInfo.InvariantCulture), file, reader.ReadToEnd());
            })
            .OrderBy(m => m.Item1)
            .ToList();
    }
}
