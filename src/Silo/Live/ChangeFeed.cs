using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Hourdini.Silo.Live;

/// <summary>
/// Tells this node's live pages that a user's tracking state changed, on any node: one connection
/// per node listens on PostgreSQL's <c>hd_changes</c> channel, where every node announces each committed
/// change to a user's timer, sessions or entries (<see cref="ChangeNotifier"/>), and this wakes that
/// user's subscribers. The same connection hears <c>hd_auth</c> for the token cache.
/// </summary>
/// <remarks>
/// A subscriber learns only "something changed" and re-reads what it shows, so a dropped or folded
/// notification loses nothing: after the listening connection is lost, every subscriber is woken
/// once it is back.
/// </remarks>
public sealed partial class ChangeFeed(NpgsqlDataSource dataSource, ILogger<ChangeFeed> logger) : BackgroundService
{
    public const string Channel = "hd_changes";

    /// <summary>Changes to a user's tokens, agents or memberships (migration 0004).</summary>
    public const string AuthChannel = "hd_auth";

    private readonly Lock _gate = new();
    private readonly Dictionary<(Guid OrgId, Guid UserId), HashSet<Subscription>> _subscribers = [];

    /// <summary>
    /// Raised when a user's token, agent or membership changed, on any node; with null when the node was
    /// not listening for a while, so anything may have changed.
    /// </summary>
    public event Action<(Guid OrgId, Guid UserId)?>? AuthChanged;

    /// <summary>Wakes the returned subscription whenever the user's tracking state changes; dispose it to stop.</summary>
    public Subscription Subscribe(Guid orgId, Guid userId)
    {
        var key = (orgId, userId);
        var subscription = new Subscription();
        subscription.OnDispose = () =>
        {
            lock (_gate)
            {
                if (_subscribers.TryGetValue(key, out var set) && set.Remove(subscription) && set.Count == 0)
                {
                    _subscribers.Remove(key);
                }
            }
        };
        lock (_gate)
        {
            if (!_subscribers.TryGetValue(key, out var set))
            {
                _subscribers[key] = set = [];
            }

            set.Add(subscription);
        }

        return subscription;
    }

    private void Wake((Guid, Guid) key)
    {
        Subscription[] woken;
        lock (_gate)
        {
            woken = _subscribers.TryGetValue(key, out var set) ? [.. set] : [];
        }

        foreach (var subscription in woken)
        {
            subscription.Wake();
        }
    }

    private void WakeAll()
    {
        Subscription[] woken;
        lock (_gate)
        {
            woken = [.. _subscribers.Values.SelectMany(set => set)];
        }

        foreach (var subscription in woken)
        {
            subscription.Wake();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (Parse(e.Payload) is not { } key)
                    {
                        return;
                    }

                    if (e.Channel == AuthChannel)
                    {
                        AuthChanged?.Invoke(key);
                    }
                    else
                    {
                        Wake(key);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}; LISTEN {AuthChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Whatever happened while we were not listening.
                AuthChanged?.Invoke(null);
                WakeAll();
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error)
            {
                LogListenFailed(error);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private static (Guid, Guid)? Parse(string payload)
    {
        var space = payload.IndexOf(' ');
        return space > 0 && Guid.TryParse(payload.AsSpan(0, space), out var org) && Guid.TryParse(payload.AsSpan(space + 1), out var user)
            ? (org, user)
            : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for live changes failed; retrying in 1 s.")]
    private partial void LogListenFailed(Exception error);

    /// <summary>One live page's wake-up signal: at most one pending wake, so a burst of changes is read once.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly Channel<bool> _wakes = System.Threading.Channels.Channel.CreateBounded<bool>(
            new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

        internal Action? OnDispose { get; set; }

        public ValueTask<bool> WaitAsync(CancellationToken cancellationToken) => _wakes.Reader.WaitToReadAsync(cancellationToken);

        /// <summary>Takes the pending wake, if any.</summary>
        public bool TryTake() => _wakes.Reader.TryRead(out _);

        internal void Wake() => _wakes.Writer.TryWrite(true);

        public void Dispose()
        {
            _wakes.Writer.TryComplete();
            OnDispose?.Invoke();
        }
    }
}
