using Hourdini.Grains.Housekeeping;
using Hourdini.Silo.Storage.Accounts;
using Hourdini.Silo.Storage.Idempotency;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hourdini.Silo.Housekeeping;

/// <summary>What <see cref="HousekeepingGrain"/> deletes, and after how long (<c>Hourdini:Housekeeping</c>).</summary>
public sealed class ExpiredRecords(IdempotencyStore keys, SignInStore signIns, IConfiguration configuration) : IExpiredRecords
{
    /// <summary>API.md: an Idempotency-Key answers retries for 24 hours.</summary>
    private TimeSpan KeysKeptFor => configuration.GetValue("Hourdini:Housekeeping:IdempotencyKeysKeptFor", TimeSpan.FromHours(24));

    public async Task<ExpiredCounts> DeleteAsync(DateTimeOffset now)
    {
        var keysDeleted = await keys.DeleteOlderThanAsync(now - KeysKeptFor, CancellationToken.None);

        // A failure counts for the throttling window (15 minutes by default); a day covers any configured window.
        // Revoked cookie sessions stay 30 days, longer than a cookie lives (14 days), for whoever looks into an incident.
        var (failures, sessions) = await signIns.DeleteExpiredAsync(now.AddDays(-1), now.AddDays(-30), CancellationToken.None);
        return new ExpiredCounts(keysDeleted, failures, sessions);
    }
}

/// <summary>Asks for the housekeeping reminder once this node's silo is up (every node asks; one reminder results).</summary>
public sealed class HousekeepingSchedule(IGrainFactory grains, ILogger<HousekeepingSchedule> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await grains.GetGrain<IHousekeepingGrain>(0).EnsureScheduledAsync();
                return;
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                log.LogDebug(error, "The housekeeping reminder could not be registered yet; trying again.");
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }
}
