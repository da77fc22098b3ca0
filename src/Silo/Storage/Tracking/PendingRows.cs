using Hourdini.Grains.Common;
using Hourdini.Silo.Live;
using Npgsql;
using Orleans.Runtime;

namespace Hourdini.Silo.Storage.Tracking;

/// <summary>
/// The rows one activation's turn has staged beside its state (<see cref="IPendingRows"/>). One per activation: it is a
/// scoped service, and Orleans gives every activation a service scope of its own. <see cref="TrackingGrainStorage"/>
/// puts them in front of the grain's next state write, in the same transaction.
/// </summary>
public sealed class PendingRows(IStorageBackend backend, ChangeNotifier notifier, IGrainContextAccessor contexts) : IPendingRows
{
    private List<NpgsqlBatchCommand>? _rows;

    /// <summary>The grain's state as last read or written, so a write sends only what changed.</summary>
    internal object? Persisted { get; set; }

    public void Stage(NpgsqlBatchCommand command) => (_rows ??= []).Add(command);

    /// <summary>Takes every staged row; a failed write loses them together with the activation that staged them.</summary>
    internal IReadOnlyList<NpgsqlBatchCommand> Drain()
    {
        var rows = (IReadOnlyList<NpgsqlBatchCommand>?)_rows ?? [];
        _rows = null;
        return rows;
    }

    /// <summary>
    /// Commits the staged rows alone: a user turn that changes a task or pulls updates writes no state of its own. The
    /// user's pages are told (the grain's key is org/user).
    /// </summary>
    public async Task SaveAsync()
    {
        var rows = Drain();
        if (rows.Count == 0)
        {
            return;
        }

        var context = contexts.GrainContext;
        try
        {
            await backend.CommitAsync([new PgWrite([.. rows])], CancellationToken.None);
        }
        catch
        {
            context?.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationError, "A write of this grain failed."));
            throw;
        }

        if (context is not null)
        {
            var (orgId, userId) = GrainKeys.Parse(context.GrainId.Key.ToString()!);
            notifier.Changed(orgId, userId);
        }
    }
}
