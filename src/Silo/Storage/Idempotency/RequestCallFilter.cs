using Hourdini.Grains.Common;
using Hourdini.Grains.Sessions;
using Hourdini.Grains.Users;
using Hourdini.Silo.Storage.Tracking;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Hourdini.Silo.Storage.Idempotency;

/// <summary>One call of a user or session grain serving a keyed request.</summary>
internal sealed record RequestCall(string Scope, string Key, string Grain, string Method);

/// <summary>
/// Exactly-once answers for keyed requests across crashes (API.md, "Idempotency-Key"; issue 24). Every call of a user or
/// session grain that serves a keyed request (<see cref="IdempotentRequest"/>) records its answer in the same
/// transaction as its write (<see cref="IPendingRows.Remember{T}"/>). When the request runs again because its first run's
/// node died before answering, a call that already committed is not run again: its recorded answer is returned, so the
/// whole request rebuilds the answer it would have given, and what did not commit runs once.
/// </summary>
public sealed class RequestCallFilter(IdempotencyStore store, Serializer serializer) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Grain is not (IUserGrain or ISessionGrain) || IdempotentRequest.Key is not { } scopedKey)
        {
            await context.Invoke();
            return;
        }

        var rows = context.TargetContext.ActivationServices.GetRequiredService<PendingRows>();
        var newline = scopedKey.IndexOf('\n');
        var call = new RequestCall(scopedKey[..newline], scopedKey[(newline + 1)..], context.TargetId.ToString(), context.InterfaceMethod.Name);
        IReadOnlyDictionary<string, byte[]>? recalled = null;
        if (IdempotentRequest.Recovering)
        {
            recalled = await store.RecallAsync(call.Scope, call.Key, call.Grain, CancellationToken.None);
            if (recalled.TryGetValue(call.Method, out var answer))
            {
                context.Result = serializer.Deserialize<object?>(answer);
                return;
            }
        }

        rows.Serve(call, recalled);
        try
        {
            await context.Invoke();
        }
        finally
        {
            rows.Serve(null, null);
        }
    }
}
