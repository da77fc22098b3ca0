using Hourdini.Silo.Activation;
using Npgsql;

namespace Hourdini.Silo.Storage;

/// <summary>Commands a grain staged; they run in the order staged, inside the turn's one transaction.</summary>
public sealed record PgWrite(params NpgsqlBatchCommand[] Commands) : IStagedWrite;

/// <summary>PostgreSQL is down or unreachable: the request should be retried later (503).</summary>
public sealed class StorageUnavailableException(Exception inner)
    : Exception("The database is unavailable.", inner);

/// <summary>Commits a turn's writes as one batch in one transaction (one round trip plus the commit).</summary>
public sealed class PostgresStorage(NpgsqlDataSource dataSource) : IStorageBackend
{
    /// <summary>SQLSTATEs that mean "what you wrote was decided on stale state": retry on fresh state.</summary>
    private static readonly HashSet<string> StaleStateCodes =
    [
        "HD409", // hd_expect_one: version check failed
        "HD407", // a stopped session or closed beat was to change
        PostgresErrorCodes.UniqueViolation,
        PostgresErrorCodes.ExclusionViolation,
        PostgresErrorCodes.SerializationFailure,
    ];

    public async Task CommitAsync(IReadOnlyList<IStagedWrite> writes, CancellationToken cancellationToken)
    {
        await Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var write in writes)
            {
                foreach (var command in ((PgWrite)write).Commands)
                {
                    batch.BatchCommands.Add(command);
                }
            }

            try
            {
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException error) when (StaleStateCodes.Contains(error.SqlState))
            {
                throw new InconsistentStateException($"The turn's writes conflict with the stored state: {error.MessageText}", error);
            }

            await transaction.CommitAsync(cancellationToken);
        });
    }
}

public static class Db
{
    /// <summary>Runs a database call, turning "cannot reach the database" into <see cref="StorageUnavailableException"/>.</summary>
    public static async Task<T> RunAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception error) when (IsUnavailable(error))
        {
            throw new StorageUnavailableException(error);
        }
    }

    public static Task RunAsync(Func<Task> call) => RunAsync<bool>(async () =>
    {
        await call();
        return true;
    });

    public static bool IsUnavailable(Exception error) => error switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections
            || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException,
        System.Net.Sockets.SocketException or TimeoutException => true,
        _ => false,
    };

    public static NpgsqlBatchCommand Command(string sql, params object?[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in parameters)
        {
            command.Parameters.Add(Parameter(value));
        }

        return command;
    }

    public static NpgsqlParameter Parameter(object? value) => value switch
    {
        NpgsqlParameter p => p,
        null => new NpgsqlParameter { Value = DBNull.Value },
        _ => new NpgsqlParameter { Value = value },
    };

    public static NpgsqlParameter Jsonb(string json) =>
        new() { Value = json, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb };

    public static NpgsqlParameter Nullable<T>(T? value, NpgsqlTypes.NpgsqlDbType type) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = type };

    public static async Task<NpgsqlDataReader> QueryAsync(
        this NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var value in parameters)
        {
            command.Parameters.Add(Parameter(value));
        }

        return await command.ExecuteReaderAsync(cancellationToken);
    }

    /// <summary>Runs a query on its own connection and reads every row.</summary>
    public static Task<IReadOnlyList<T>> ListAsync<T>(
        this NpgsqlDataSource dataSource, string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken, params object?[] parameters) =>
        RunAsync<IReadOnlyList<T>>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var reader = await connection.QueryAsync(sql, cancellationToken, parameters);
            var rows = new List<T>();
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(read(reader));
            }

            return rows;
        });

    public static T? Get<T>(this NpgsqlDataReader reader, string column)
    {
        var ordinal = reader.GetOrdinal(column);
        return reader.IsDBNull(ordinal) ? default : reader.GetFieldValue<T>(ordinal);
    }
}
