using Hourdini.Grains.Common;
using Hourdini.Silo.Live;
using Hourdini.Silo.Storage.Idempotency;
using Npgsql;
using Orleans.Runtime;

namespace Hourdini.Silo.Storage.Tracking;

/// <summary>
/// The rows one activation's turn has staged beside its state (<see cref="IPendingRows"/>). One per activation: it is a
/// scoped service, and Orleans gives every activation a service scope of its own. <see cref="TrackingGrainStorage"/>
/// puts them in front of the grain's next state write, in the same transaction.
/// </summary>
public sealed class PendingRows(
    IStorageBackend backend, ChangeNotifier notifier, IGrainContextAccessor contexts, Orleans.Serialization.Serializer serializer) : IPendingRows
{
    private List<NpgsqlBatchCommand>? _rows;
    private RequestCall? _call;
    private NpgsqlBatchCommand? _answer;
    private IReadOnlyDictionary<string, byte[]>? _recalled;

    /// <summary>The keyed request's call this activation is serving, if any (set by <see cref="Idempotency.RequestCallFilter"/>).</summary>
    internal void Serve(RequestCall? call, IReadOnlyDictionary<string, byte[]>? recalled)
    {
        _call = call;
        _recalled = recalled;
        _answer = null; // an answer staged by a call that then wrote nothing is not kept for another call
    }

    public void Remember<T>(T answer, string? step = null)
    {
        if (_call is not { } call)
        {
            return;
        }

        _answer = Db.Command(
            """
            INSERT INTO idempotency_effects (scope, key, grain, call, answer, created_at) VALUES ($1, $2, $3, $4, $5, now())
            ON CONFLICT DO NOTHING
            """,
            call.Scope, call.Key, call.Grain, step is null ? call.Method : $"{call.Method}#{step}", serializer.SerializeToArray<object?>(answer));
    }

    public bool TryRecalled<T>(string step, out T answer)
    {
        if (_call is { } call && _recalled?.TryGetValue($"{call.Method}#{step}", out var bytes) == true)
        {
            answer = (T)serializer.Deserialize<object?>(bytes)!;
            return true;
        }

        answer = default!;
        return false;
    }

    /// <summary>The grain's state as last read or written, so a write sends only what changed.</summary>
    internal object? Persisted { get; set; }

    public void Stage(NpgsqlBatchCommand command) => (_rows ??= []).Add(command);

    /// <summary>Takes every staged row; a failed write loses them together with the activation that staged them.</summary>
    internal IReadOnlyList<NpgsqlBatchCommand> Drain()
    {
        var rows = (IReadOnlyList<NpgsqlBatchCommand>?)_rows ?? [];
        if (_answer is { } answer)
        {
            rows = [.. rows, answer];
        }

        _rows = null;
        _answer = null;
        return rows;
    }

    /// <summary>
    /// Commits the staged rows alone: a user turn that changes a task or pulls updates writes no state of its own. The
    /// user's pages are told (the grain's key is org/user).
    /// </summary>
    public Task SaveAsync()
    {
        if (_rows is null && _answer is null)
        {
            return Task.CompletedTask;
        }

        var (orgId, userId) = GrainKeys.Parse(contexts.GrainContext!.GrainId.Key.ToString()!);
        return CommitAsync([], orgId, userId);
    }

    /// <summary>
    /// One write of this activation: the staged rows first (a stopped session's row refuses any later change, R7, and
    /// its entry goes with it), then <paramref name="state"/>'s statements, in one transaction through the group committer.
    /// A failed write drops the activation, whose memory may be ahead of the database; a committed one is announced to
    /// the user's live pages.
    /// </summary>
    internal async Task CommitAsync(IReadOnlyList<NpgsqlBatchCommand> state, Guid orgId, Guid userId)
    {
        var rows = Drain();
        try
        {
            await backend.CommitAsync([new PgWrite([.. rows, .. state])], CancellationToken.None);
        }
        catch
        {
            contexts.GrainContext?.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationError, "A write of this grain failed."));
            throw;
        }

        notifier.Changed(orgId, userId);
    }
}
