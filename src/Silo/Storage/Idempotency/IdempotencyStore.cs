using Npgsql;

namespace Hourdini.Silo.Storage.Idempotency;

public sealed record StoredResponse(int StatusCode, string? ContentType, byte[] Body);

public enum Claim
{
    /// <summary>The key is new: run the request, then <see cref="IdempotencyStore.CompleteAsync"/>.</summary>
    Acquired,

    /// <summary>A request with this key is still running.</summary>
    InProgress,

    /// <summary>The key was used with a different request body.</summary>
    Mismatch,

    /// <summary>The key has a stored response to replay.</summary>
    Replay,
}

/// <summary>Idempotency keys: a placeholder row claims the key, the first response completes it.</summary>
public sealed class IdempotencyStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public Task<(Claim Claim, StoredResponse? Response)> ClaimAsync(string scope, string key, byte[] requestHash, CancellationToken ct) =>
        Db.RunAsync<(Claim, StoredResponse?)>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync(
                """
                WITH claimed AS (
                    INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (scope, key) DO NOTHING RETURNING 1)
                SELECT (SELECT count(*) FROM claimed) AS claimed, k.request_hash, k.status_code, k.content_type, k.body
                FROM (SELECT 1) one LEFT JOIN idempotency_keys k ON k.scope = $1 AND k.key = $2
                """,
                ct, scope, key, requestHash, clock.GetUtcNow());
            await reader.ReadAsync(ct);
            if (reader.GetInt64(0) == 1)
            {
                return (Claim.Acquired, null);
            }

            if (reader.IsDBNull(1))
            {
                return (Claim.InProgress, null); // claimed and released between the two reads
            }

            if (!reader.GetFieldValue<byte[]>(1).AsSpan().SequenceEqual(requestHash))
            {
                return (Claim.Mismatch, null);
            }

            return reader.IsDBNull(2)
                ? (Claim.InProgress, null)
                : (Claim.Replay, new StoredResponse(reader.GetInt32(2), reader.Get<string>("content_type"), reader.Get<byte[]>("body") ?? []));
        });

    public Task CompleteAsync(string scope, string key, StoredResponse response, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var _ = await connection.QueryAsync(
                "UPDATE idempotency_keys SET status_code = $3, content_type = $4, body = $5 WHERE scope = $1 AND key = $2",
                ct, scope, key, response.StatusCode, response.ContentType, response.Body);
        });

    /// <summary>Releases a key whose request did not complete, so the client may retry it.</summary>
    public Task ReleaseAsync(string scope, string key, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var _ = await connection.QueryAsync(
                "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status_code IS NULL", ct, scope, key);
        });
}
