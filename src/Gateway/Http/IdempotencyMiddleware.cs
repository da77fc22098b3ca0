using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Hourdini.Gateway.Auth;
using Hourdini.Grains.Common;
using Hourdini.Silo.Storage;
using Hourdini.Silo.Storage.Idempotency;
using Hourdini.Gateway.Protection;
using Microsoft.Extensions.Options;

namespace Hourdini.Gateway.Http;

/// <summary>
/// <c>Idempotency-Key</c> on a mutating request: the first response (success or refusal) is stored and replayed for every
/// retry with the same key, method, path and body; the request runs once. A key reused with another request is refused
/// (422); one whose first request is still running answers 409 with <c>Retry-After</c>. Keys are scoped to the caller.
/// </summary>
/// <remarks>
/// Crash-safe: the key travels with every grain call of the request (<see cref="IdempotentRequest"/>), whose writes record
/// their answers and derive the ids they create from the key. If the node dies mid-request, the claim lapses after
/// <see cref="LimitOptions.IdempotencyClaimLease"/>; a 5xx lapses it at once. The retry then runs the request again,
/// recovering: calls that committed answer as they did, the rest run once, so the client gets the committed answer.
/// </remarks>
public sealed class IdempotencyMiddleware(RequestDelegate next, IdempotencyStore store, IOptions<LimitOptions> limits)
{
    private const int MaxKeyLength = 200;

    /// <summary>Set on a request that runs again after its first run died: creates it finds already done are its own.</summary>
    public const string RecoveringItem = "hd.idempotency.recovering";

    public async Task InvokeAsync(HttpContext context)
    {
        if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
            || !context.Request.Headers.TryGetValue("Idempotency-Key", out var keys))
        {
            await next(context);
            return;
        }

        var key = keys.ToString();
        if (key.Length is 0 or > MaxKeyLength || key.Any(char.IsControl))
        {
            await Problems.Write(context, 422, "validation_failed", "Invalid request", $"Idempotency-Key must be 1 to {MaxKeyLength} printable characters.");
            return;
        }

        var caller = AuthSetup.TryCaller(context.User);
        var scope = caller is null ? "anonymous" : $"{caller.OrgId:N}/{caller.UserId:N}";
        var hash = await HashRequestAsync(context.Request);
        var ct = context.RequestAborted;

        var claim = await store.ClaimAsync(scope, key, hash, limits.Value.IdempotencyClaimLease, ct);
        switch (claim.Claim)
        {
            case Claim.Replay:
                context.Response.StatusCode = claim.Response!.StatusCode;
                context.Response.ContentType = claim.Response.ContentType;
                context.Response.Headers["Idempotent-Replayed"] = "true";
                await context.Response.Body.WriteAsync(claim.Response.Body, ct);
                return;
            case Claim.Mismatch:
                await Problems.Write(context, 422, "idempotency_key_reused", "Invalid request",
                    "This Idempotency-Key was already used with a different request.");
                return;
            case Claim.InProgress:
                context.Response.Headers.RetryAfter = Math.Ceiling(claim.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                await Problems.Write(context, 409, "idempotency_in_progress", "Conflict",
                    "A request with this Idempotency-Key is still being processed; retry after the time in Retry-After.");
                return;
        }

        var recovering = claim.Claim == Claim.Recovered;
        if (recovering)
        {
            context.Items[RecoveringItem] = true;
        }

        var original = context.Response.Body;
        await using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        var completed = false;
        IdempotentRequest.Enter($"{scope}\n{key}", claim.FirstClaimedAt, recovering);
        try
        {
            try
            {
                await next(context);
            }
            catch (Exception error) when (error is Refusal or BadHttpRequestException)
            {
                await Problems.WriteAsync(context, error);
            }

            if (context.Response.StatusCode < 500)
            {
                await store.CompleteAsync(scope, key, new StoredResponse(context.Response.StatusCode, context.Response.ContentType, buffer.ToArray()), CancellationToken.None);
                completed = true;
            }
        }
        finally
        {
            IdempotentRequest.Leave();
            context.Response.Body = original;
            if (!completed)
            {
                await LapseQuietlyAsync(scope, key);
            }
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(original, ct);
    }

    /// <summary>Whether this request runs again after its first run died (see <see cref="RecoveringItem"/>).</summary>
    public static bool IsRecovering(HttpContext context) => context.Items.ContainsKey(RecoveringItem);

    private async Task LapseQuietlyAsync(string scope, string key)
    {
        try
        {
            await store.LapseAsync(scope, key, CancellationToken.None);
        }
        catch (StorageUnavailableException)
        {
            // The claim lapses by itself after its lease; a retry before that answers 409 with Retry-After.
        }
    }

    private static async Task<byte[]> HashRequestAsync(HttpRequest request)
    {
        request.EnableBuffering();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}{request.QueryString}\n"));
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            sha.AppendData(chunk, 0, read);
        }

        request.Body.Position = 0;
        return sha.GetHashAndReset();
    }
}
