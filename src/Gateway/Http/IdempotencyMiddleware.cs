using System.Security.Cryptography;
using System.Text;
using Hourdini.Gateway.Auth;
using Hourdini.Grains.Common;
using Hourdini.Silo.Storage;
using Hourdini.Silo.Storage.Idempotency;

namespace Hourdini.Gateway.Http;

/// <summary>
/// <c>Idempotency-Key</c> on a mutating request: the first response (success or refusal) is stored and
/// replayed for every retry with the same key, method, path and body; the request runs once. A key
/// reused with another request is refused (422); one whose first request is still running answers 409.
/// Keys are scoped to the caller. A 5xx is not stored, so the client may retry.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next, IdempotencyStore store)
{
    private const int MaxKeyLength = 200;

    public async Task InvokeAsync(HttpContext context)
    {
        if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
            || !context.Request.Headers.TryGetValue("Idempotency-Key", out var keys))
        {
            await next(context);
            return;
        }

        var key = keys.ToString();
        if (key.Length is 0 or > MaxKeyLength)
        {
            await Problems.Write(context, 422, "validation_failed", "Invalid request", $"Idempotency-Key must be 1 to {MaxKeyLength} characters.");
            return;
        }

        var caller = AuthSetup.TryCaller(context.User);
        var scope = caller is null ? "anonymous" : $"{caller.OrgId:N}/{caller.UserId:N}";
        var hash = await HashRequestAsync(context.Request);
        var ct = context.RequestAborted;

        var (claim, stored) = await store.ClaimAsync(scope, key, hash, ct);
        switch (claim)
        {
            case Claim.Replay:
                context.Response.StatusCode = stored!.StatusCode;
                context.Response.ContentType = stored.ContentType;
                context.Response.Headers["Idempotent-Replayed"] = "true";
                await context.Response.Body.WriteAsync(stored.Body, ct);
                return;
            case Claim.Mismatch:
                await Problems.Write(context, 422, "idempotency_key_reused", "Invalid request",
                    "This Idempotency-Key was already used with a different request.");
                return;
            case Claim.InProgress:
                await Problems.Write(context, 409, "idempotency_in_progress", "Conflict",
                    "A request with this Idempotency-Key is still being processed; retry shortly.");
                return;
        }

        var original = context.Response.Body;
        await using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        var completed = false;
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
            context.Response.Body = original;
            if (!completed)
            {
                await ReleaseQuietlyAsync(scope, key);
            }
        }

        buffer.Position = 0;
        await buffer.CopyToAsync(original, ct);
    }

    private async Task ReleaseQuietlyAsync(string scope, string key)
    {
        try
        {
            await store.ReleaseAsync(scope, key, CancellationToken.None);
        }
        catch (StorageUnavailableException)
        {
            // The key stays claimed without a response: retries answer 409 until it is cleaned up.
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
