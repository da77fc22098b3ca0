using System.Globalization;
using Hourdini.Grains.Common;
using Hourdini.Grains.Sessions;
using Hourdini.Grains.Users;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;

namespace Hourdini.Silo.Storage.Tracking;

/// <summary>
/// Orleans grain storage for the user and session grains (<see cref="StorageNames.Tracking"/>): relational rows whose
/// integer version is the ETag, written through the group committer (<see cref="PostgresStorage"/>), so concurrent writes
/// of different grains share one transaction and one WAL flush while a version conflict fails only its own grain's write
/// (DESIGN.md, "Grain storage"). A write carries the rows its turn staged (<see cref="PendingRows"/>) in the same
/// transaction. A failed write drops the activation: its memory may be ahead of the database.
/// </summary>
public sealed class TrackingGrainStorage(
    UserStateStorage users,
    SessionStateStorage sessions,
    IGrainContextAccessor contexts) : IGrainStorage
{
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = grainId.Key.ToString()!;
        (object? State, long Version) stored = grainState switch
        {
            IGrainState<UserState> => await users.ReadAsync(key, CancellationToken.None),
            IGrainState<SessionState> => await sessions.ReadAsync(key, CancellationToken.None),
            _ => throw new NotSupportedException($"The tracking storage keeps user and session states, not {typeof(T).Name}."),
        };

        var (state, version) = stored;
        grainState.State = state is null ? Activator.CreateInstance<T>() : (T)state;
        grainState.ETag = state is null ? null : version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = state is not null;
        Rows().Persisted = state;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var rows = Rows();
        var expected = grainState.ETag is null ? 0 : long.Parse(grainState.ETag, CultureInfo.InvariantCulture);
        var key = grainId.Key.ToString()!;
        if (expected > 0 && rows.Persisted is null && grainState.State is SessionState)
        {
            // A state Orleans handed over without reading it here (a migrated activation): learn what is stored, so
            // the write sends only what changed instead of inserting the beats again.
            rows.Persisted = (await sessions.ReadAsync(key, CancellationToken.None)).State;
        }

        var (write, orgId, userId) = grainState.State switch
        {
            UserState user => (users.Write(key, user, expected), GrainKeys.Parse(key).OrgId, GrainKeys.Parse(key).Id),
            SessionState session => (sessions.Write(session, rows.Persisted as SessionState, expected), session.OrgId, session.UserId),
            _ => throw new NotSupportedException($"The tracking storage keeps user and session states, not {typeof(T).Name}."),
        };

        await rows.CommitAsync(write, orgId, userId);
        grainState.ETag = (expected + 1).ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
        rows.Persisted = grainState.State;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        throw new NotSupportedException("Users and sessions are never deleted; a session stops and stays.");

    private PendingRows Rows() =>
        contexts.GrainContext?.ActivationServices.GetRequiredService<PendingRows>()
        ?? throw new InvalidOperationException("Tracking storage is used from a grain's own turn only.");
}
