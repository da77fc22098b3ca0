using Orleans;
using Orleans.Runtime;

namespace Hourdini.Grains.Housekeeping;

/// <summary>Deletes what has served its time (<see cref="HousekeepingGrain"/>).</summary>
public interface IExpiredRecords
{
    /// <summary>Deletes records that expired by <paramref name="now"/>; returns how many of each kind went.</summary>
    Task<ExpiredCounts> DeleteAsync(DateTimeOffset now);
}

[GenerateSerializer, Immutable, Alias("hd.ExpiredCounts")]
public sealed record ExpiredCounts([property: Id(0)] long IdempotencyKeys, [property: Id(1)] long SignInFailures, [property: Id(2)] long CookieSessions);

[Alias("hd.IHousekeepingGrain")]
public interface IHousekeepingGrain : IGrainWithIntegerKey
{
    /// <summary>Makes sure the sweep's reminder is registered; every node asks at start, one registration results.</summary>
    [Alias("EnsureScheduled")]
    Task EnsureScheduledAsync();

    [Alias("Sweep")]
    Task<ExpiredCounts> SweepAsync();
}

/// <summary>
/// Background work shared by every node: one grain (key 0) woken by an Orleans reminder, which lives in PostgreSQL and
/// moves to a live silo when its silo dies, so the sweep runs on one node at a time however many there are. It deletes
/// idempotency keys after 24 h (API.md), failed sign-ins once they no longer count, and revoked cookie sessions.
/// </summary>
public sealed class HousekeepingGrain(IExpiredRecords records, TimeProvider clock) : Grain, IHousekeepingGrain, IRemindable
{
    public const string Reminder = "sweep";

    /// <summary>How often the sweep runs; the reminder service's floor is a minute.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(10);

    public async Task EnsureScheduledAsync() => await this.RegisterOrUpdateReminder(Reminder, Period, Period);

    public Task<ExpiredCounts> SweepAsync() => records.DeleteAsync(clock.GetUtcNow());

    public Task ReceiveReminder(string reminderName, TickStatus status) => SweepAsync();
}
