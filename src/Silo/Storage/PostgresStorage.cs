using System.Diagnostics;
using Npgsql;
using Orleans.Storage;

namespace Hourdini.Silo.Storage;

/// <summary>A write to commit: its shape belongs to the storage backend that commits it.</summary>
public interface IStagedWrite;

/// <summary>Commits writes atomically, or throws <see cref="InconsistentStateException"/> when one was made on stale state.</summary>
public interface IStorageBackend
{
    Task CommitAsync(IReadOnlyList<IStagedWrite> writes, CancellationToken cancellationToken);
}

/// <summary>Commands that run in the order given, inside one transaction.</summary>
public sealed record PgWrite(params NpgsqlBatchCommand[] Commands) : IStagedWrite;

/// <summary>PostgreSQL is down or unreachable: the request should be retried later (503).</summary>
/// <remarks>
/// It crosses grain calls, from the silo that wrote to the gateway that answers, so it carries the driver's message but
/// not its exception: Orleans has no codec for Npgsql's exceptions, and a response it cannot serialize reaches the
/// caller as a serialization failure (a 500) instead of this.
/// </remarks>
[GenerateSerializer, Alias("hd.StorageUnavailable")]
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException(Exception inner)
        : base($"The database is unavailable: {inner.GetType().Name}: {inner.Message}")
    {
    }

    public StorageUnavailableException()
        : base("The database is unavailable.")
    {
    }
}

/// <summary>
/// The database refused a statement for a reason that is neither an outage nor a stale write: a bug (500). Like
/// <see cref="StorageUnavailableException"/> it carries PostgreSQL's code and message, not Npgsql's exception, so it can
/// cross from one silo to another.
/// </summary>
[GenerateSerializer, Alias("hd.StorageFailed")]
public sealed class StorageFailedException(string sqlState, string message) : Exception($"{sqlState}: {message}")
{
    [Id(0)]
    public string SqlState { get; private set; } = sqlState;
}

public sealed class GroupCommitOptions
{
    /// <summary>
    /// How many group transactions may be on their way to PostgreSQL at once. Fewer means bigger groups: paced at
    /// 1,600 calls/s on 2 cores, 2 rather than 4 cost about 15 % less CPU per call in PostgreSQL and 10 % less in the
    /// gateway, with the same closed-loop throughput (docs/BENCHMARKS.md); 1 serializes every commit's round trip.
    /// </summary>
    public int MaxInFlight { get; set; } = 2;

    /// <summary>How many grain writes one transaction may carry; 1 turns group commit off.</summary>
    public int MaxTurnsPerGroup { get; set; } = 64;
}

/// <summary>
/// Commits grains' writes. Each transaction is one batch in one round trip: PostgreSQL runs a pipelined batch
/// that ends in a single Sync as one implicit transaction, so it commits whole or not at all.
/// Group commit (issue 6): writes that arrive while other transactions are in flight wait and then go
/// together, in one transaction with one WAL flush. Writes of one grain never share a group, since a grain's
/// next write starts only after this one is answered. If a group fails, each of its writes is committed on
/// its own, so one grain's version conflict fails only that grain's write.
/// </summary>
public sealed class PostgresStorage(NpgsqlDataSource dataSource, GroupCommitOptions options) : IStorageBackend
{
    /// <summary>SQLSTATEs that mean "what you wrote was decided on stale state": retry on fresh state.</summary>
    private static readonly HashSet<string> StaleStateCodes =
    [
        "HD409", // hd_expect_one: version check failed
        "HD407", // a stopped session or closed beat was to change
        PostgresErrorCodes.UniqueViolation,
        PostgresErrorCodes.ExclusionViolation,
        PostgresErrorCodes.SerializationFailure,
        PostgresErrorCodes.DeadlockDetected,
    ];

    private readonly Lock _gate = new();
    private readonly Queue<PendingWrite> _waiting = new();
    private int _inFlight;

    public Task CommitAsync(IReadOnlyList<IStagedWrite> writes, CancellationToken cancellationToken)
    {
        var pending = new PendingWrite(writes);
        bool start;
        lock (_gate)
        {
            _waiting.Enqueue(pending);
            start = _inFlight < options.MaxInFlight;
            if (start)
            {
                _inFlight++;
            }
        }

        if (start)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static storage => _ = storage.CommitWaitingAsync(), this, preferLocal: false);
        }

        return pending.Done.Task;
    }

    /// <summary>One committer: takes every write waiting (up to the group size), commits them, and repeats while any wait.</summary>
    private async Task CommitWaitingAsync()
    {
        while (true)
        {
            var group = new List<PendingWrite>();
            lock (_gate)
            {
                while (group.Count < Math.Max(1, options.MaxTurnsPerGroup) && _waiting.TryDequeue(out var pending))
                {
                    group.Add(pending);
                }

                if (group.Count == 0)
                {
                    _inFlight--;
                    return;
                }
            }

            await CommitGroupAsync(group);
        }
    }

    private async Task CommitGroupAsync(List<PendingWrite> group)
    {
        var started = StorageMetrics.Now();
        if (StorageMetrics.GroupWait.Enabled)
        {
            foreach (var pending in group)
            {
                StorageMetrics.GroupWait.Record(Stopwatch.GetElapsedTime(pending.Queued, started).TotalMilliseconds);
            }
        }

        StorageMetrics.GroupSize.Record(group.Count);
        try
        {
            await ExecuteAsync(group.SelectMany(pending => pending.Commands(fresh: false)));
            StorageMetrics.GroupCommit.Record(StorageMetrics.MillisecondsSince(started));
            foreach (var pending in group)
            {
                pending.Done.TrySetResult();
            }

            return;
        }
        catch (Exception error) when (group.Count == 1 || Db.IsUnavailable(error))
        {
            foreach (var pending in group)
            {
                pending.Done.TrySetException(Explain(error));
            }

            return;
        }
        catch (Exception)
        {
            // Somebody's write broke the group: nothing of it was committed; commit each write alone.
        }

        foreach (var pending in group)
        {
            try
            {
                await ExecuteAsync(pending.Commands(fresh: true));
                pending.Done.TrySetResult();
            }
            catch (Exception error)
            {
                pending.Done.TrySetException(Explain(error));
            }
        }
    }

    private async Task ExecuteAsync(IEnumerable<NpgsqlBatchCommand> commands)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(connection);
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }

        try
        {
            await batch.ExecuteNonQueryAsync();
        }
        finally
        {
            // The pooled connection keeps its last batch reachable until its next use; without this, every connection
            // kept a whole group's commands and parameters alive, and each collection promoted them (issue 6).
            batch.BatchCommands.Clear();
        }
    }

    private static Exception Explain(Exception error) => error switch
    {
        _ when Db.IsUnavailable(error) => new StorageUnavailableException(error),
        PostgresException pg when StaleStateCodes.Contains(pg.SqlState) =>
            new InconsistentStateException($"The write conflicts with the stored state: {pg.SqlState} {pg.MessageText}"),
        PostgresException pg => new StorageFailedException(pg.SqlState, pg.MessageText),
        _ => error,
    };

    private sealed class PendingWrite(IReadOnlyList<IStagedWrite> writes)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>When the write joined the queue (<see cref="StorageMetrics.GroupWait"/>).</summary>
        public long Queued { get; } = StorageMetrics.Now();

        /// <summary>The staged commands; copies of them (with copied parameters) when they already ran in a failed group.</summary>
        public IEnumerable<NpgsqlBatchCommand> Commands(bool fresh) =>
            writes.SelectMany(write => ((PgWrite)write).Commands).Select(command => fresh ? Copy(command) : command);

        private static NpgsqlBatchCommand Copy(NpgsqlBatchCommand command)
        {
            var copy = new NpgsqlBatchCommand(command.CommandText);
            foreach (NpgsqlParameter parameter in command.Parameters)
            {
                copy.Parameters.Add(parameter.Clone());
            }

            return copy;
        }
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

    /// <summary>Runs a statement that returns no rows, in the connection's open transaction if it has one; the rows it changed.</summary>
    public static async Task<int> ExecuteAsync(
        this NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object?[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in parameters)
        {
            command.Parameters.Add(Parameter(value));
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
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
