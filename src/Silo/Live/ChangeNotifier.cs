using Hourdini.Grains.Common;
using Hourdini.Grains.Users;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Hourdini.Silo.Live;

/// <summary>
/// Tells every node's <see cref="ChangeFeed"/> that a user's tracking state changed: after each committed
/// turn of a user grain, and after each change of a time entry. Notifications go out after the commit,
/// outside its transaction, and batched: everything reported while one batch is on its way goes in the next.
/// </summary>
/// <remarks>
/// Why not a trigger (as migration 0003 had): a transaction that NOTIFYs takes PostgreSQL's notify-queue
/// lock and holds it until its commit is flushed, so every notifying write of the whole cluster waited
/// for the one before it to reach the disk (issue 6). A notification here is a wake-up, not a fact: a
/// page re-reads what it shows, and after a gap it re-reads anyway, so losing one in a crash loses nothing stored.
/// </remarks>
public sealed partial class ChangeNotifier(NpgsqlDataSource dataSource, ILogger<ChangeNotifier> logger) : BackgroundService
{
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _signal = new(0);
    private HashSet<(Guid OrgId, Guid UserId)> _pending = [];

    public void Changed(Guid orgId, Guid userId)
    {
        bool first;
        lock (_gate)
        {
            first = _pending.Count == 0;
            _pending.Add((orgId, userId));
        }

        if (first)
        {
            _signal.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            HashSet<(Guid OrgId, Guid UserId)> batch;
            lock (_gate)
            {
                (batch, _pending) = (_pending, []);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                await using var command = dataSource.CreateCommand($"SELECT pg_notify('{ChangeFeed.Channel}', p) FROM unnest($1::text[]) AS p");
                command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(c => $"{c.OrgId} {c.UserId}").ToArray() });
                await command.ExecuteNonQueryAsync(stoppingToken);
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                // The listeners' own reconnect makes their pages re-read; nothing stored depends on this.
                LogNotifyFailed(error, batch.Count);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell the other nodes about {Count} changed users.")]
    private partial void LogNotifyFailed(Exception error, int count);
}
