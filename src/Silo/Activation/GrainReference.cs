using System.Collections.Concurrent;
using System.Reflection;

namespace Hourdini.Silo.Activation;

/// <summary>
/// The reference a caller holds: implements the grain interface and turns each call into a message
/// on the activation's mailbox. Only Task-returning methods are allowed on grain interfaces.
/// </summary>
public class GrainReference : DispatchProxy
{
    private static readonly ConcurrentDictionary<MethodInfo, Func<GrainReference, object?[]?, object>> Invokers = new();

    private static readonly MethodInfo InvokeTypedMethod =
        typeof(GrainReference).GetMethod(nameof(InvokeTyped), BindingFlags.NonPublic | BindingFlags.Static)!;

    private GrainRuntime _runtime = null!;
    private GrainId _id;
    private bool _minted;

    /// <param name="minted">The key was just minted, so nothing is stored under it: a first activation skips the read.</param>
    internal static TGrain Create<TGrain>(GrainRuntime runtime, GrainId id, bool minted = false)
    {
        var proxy = Create<TGrain, GrainReference>();
        var reference = (GrainReference)(object)proxy!;
        reference._runtime = runtime;
        reference._id = id;
        reference._minted = minted;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        Invokers.GetOrAdd(targetMethod!, BuildInvoker)(this, args);

    private static Func<GrainReference, object?[]?, object> BuildInvoker(MethodInfo method)
    {
        if (method.ReturnType == typeof(Task))
        {
            return (reference, args) => reference._runtime.InvokeAsync<object?>(reference._id, async grain =>
            {
                await (Task)Call(method, grain, args);
                return null;
            }, reference._minted);
        }

        if (method.ReturnType.IsGenericType && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            var typed = InvokeTypedMethod.MakeGenericMethod(method.ReturnType.GetGenericArguments()[0]);
            return (reference, args) => typed.Invoke(null, BindingFlags.DoNotWrapExceptions, null, [reference, method, args], null)!;
        }

        throw new NotSupportedException($"Grain method {method.Name} must return Task or Task<T>.");
    }

    private static Task<T> InvokeTyped<T>(GrainReference reference, MethodInfo method, object?[]? args) =>
        reference._runtime.InvokeAsync(reference._id, grain => (Task<T>)Call(method, grain, args), reference._minted);

    private static object Call(MethodInfo method, object grain, object?[]? args) =>
        method.Invoke(grain, BindingFlags.DoNotWrapExceptions, null, args, null)!;
}
