using System.Collections.Concurrent;
using Hourdini.Grains.Accounts;
using Hourdini.Silo.Live;

namespace Hourdini.Silo.Storage.Accounts;

/// <summary>
/// What a token stands for, cached on this node so that a call costs no token query (issue 6). An entry
/// lives at most <see cref="Lifetime"/>. A change to a user's tokens, agents or memberships forgets that
/// user's entries at once on the node that made it, and on every other node when PostgreSQL's
/// notification arrives (migration 0004); after a gap in listening, every node forgets everything.
/// </summary>
public sealed class CallerCache
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private const int MaxEntries = 200_000;

    private readonly ConcurrentDictionary<string, (Caller Caller, long ExpiresTicks)> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private long _generation;

    public CallerCache(TimeProvider clock, ChangeFeed feed)
    {
        _clock = clock;
        feed.AuthChanged += changed =>
        {
            if (changed is { } user)
            {
                Forget(user.OrgId, user.UserId);
            }
            else
            {
                Clear();
            }
        };
    }

    /// <summary>The cached caller for a secret's hash, or the one <paramref name="load"/> finds (unknown tokens are not cached).</summary>
    public async Task<Caller?> GetOrLoadAsync(byte[] secretHash, Func<Task<Caller?>> load)
    {
        var key = Convert.ToBase64String(secretHash);
        var now = _clock.GetUtcNow().UtcTicks;
        if (_entries.TryGetValue(key, out var entry) && entry.ExpiresTicks > now)
        {
            return entry.Caller;
        }

        // A change that lands while we read must not let the stale answer into the cache.
        var generation = Interlocked.Read(ref _generation);
        var caller = await load();
        if (caller is not null)
        {
            if (_entries.Count >= MaxEntries)
            {
                Clear();
            }

            _entries[key] = (caller, now + Lifetime.Ticks);
            if (Interlocked.Read(ref _generation) != generation)
            {
                _entries.TryRemove(key, out _);
            }
        }

        return caller;
    }

    /// <summary>Forgets every cached caller of one user in one org (their tokens, their agents).</summary>
    public void Forget(Guid orgId, Guid userId)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (key, entry) in _entries)
        {
            if (entry.Caller.OrgId == orgId && entry.Caller.UserId == userId)
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }
}
