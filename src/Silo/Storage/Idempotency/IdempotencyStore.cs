using Npgsql;

namespace Hourdini.Silo.Storage.Idempotency;

public sealed record StoredResponse(int StatusCode, string? ContentType, byte[] Body);

public enum Claim
{
    /// <summary>The key is new: run the request, then <see cref="IdempotencyStore.CompleteAsync"/>.</summary>
    Acquired,

    /// <summary>
    /// The key's first run can no longer be running (its claim lapsed: its node died, or it failed) and left no answer:
    /// run the request again, recovering, so grain calls that committed answer as they did (<see cref="RequestCallFilter"/>).
    /// </summary>
    Recovered,

    /// <summary>A request with this key is still running.</summary>
    InProgress,

    /// <summary>The key was used with a different request body.</summary>
    Mismatch,

    /// <summary>The key has a stored response to replay.</summary>
    Replay,
}

/// <summary>What claiming a key gave: the claim, when the key was first claimed, and what to answer or how long to wait.</summary>
public sealed record KeyClaim(Claim Claim, DateTimeOffset FirstClaimedAt, StoredResponse? Response = null, TimeSpan RetryAfter = default);

/// <summary>
/// Idempotency keys: a row claims the key for a while (the lease), the first response completes it. A claim whose lease
/// ran out without a response belongs to a request that can no longer be running, and the next retry takes it over.
/// </summary>
public sealed class IdempotencyStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public Task<KeyClaim> ClaimAsync(string scope, string key, byte[] requestHash, TimeSpan lease, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            var now = clock.GetUtcNow();
            await using var connection = await dataSource.OpenConnectionAsync(ct);

            // The three outcomes in one statement. Both modifications see the row as it was before the statement: the
            // insert claims a new key; the update takes over an unanswered claim whose lease ran out (two retries racing
            // for it: the second re-checks the row after the first's update and finds a fresh claim).
            await using var reader = await connection.QueryAsync(
                """
                WITH claimed AS (
                    INSERT INTO idempotency_keys (scope, key, request_hash, created_at, claimed_at) VALUES ($1, $2, $3, $4, $4)
                    ON CONFLICT (scope, key) DO NOTHING RETURNING 1),
                taken AS (
                    UPDATE idempotency_keys SET claimed_at = $4
                    WHERE scope = $1 AND key = $2 AND status_code IS NULL AND request_hash = $3 AND claimed_at <= $5
                    RETURNING 1)
                SELECT (SELECT count(*) FROM claimed), (SELECT count(*) FROM taken),
                       k.request_hash, k.status_code, k.content_type, k.body, k.created_at, k.claimed_at
                FROM (SELECT 1) one LEFT JOIN idempotency_keys k ON k.scope = $1 AND k.key = $2
                """,
                ct, scope, key, requestHash, now, now - lease);
            await reader.ReadAsync(ct);
            if (reader.GetInt64(0) == 1)
            {
                return new KeyClaim(Claim.Acquired, now);
            }

            if (reader.IsDBNull(2))
            {
                return new KeyClaim(Claim.InProgress, now, RetryAfter: TimeSpan.FromSeconds(1)); // deleted meanwhile (expired)
            }

            var firstClaimedAt = reader.GetFieldValue<DateTimeOffset>(6);
            if (!reader.GetFieldValue<byte[]>(2).AsSpan().SequenceEqual(requestHash))
            {
                return new KeyClaim(Claim.Mismatch, firstClaimedAt);
            }

            if (!reader.IsDBNull(3))
            {
                return new KeyClaim(Claim.Replay, firstClaimedAt,
                    new StoredResponse(reader.GetInt32(3), reader.Get<string>("content_type"), reader.Get<byte[]>("body") ?? []));
            }

            if (reader.GetInt64(1) == 1)
            {
                return new KeyClaim(Claim.Recovered, firstClaimedAt);
            }

            var lapses = reader.GetFieldValue<DateTimeOffset>(7) + lease - now;
            return new KeyClaim(Claim.InProgress, firstClaimedAt, RetryAfter: lapses > TimeSpan.FromSeconds(1) ? lapses : TimeSpan.FromSeconds(1));
        });

    public Task CompleteAsync(string scope, string key, StoredResponse response, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var _ = await connection.QueryAsync(
                "UPDATE idempotency_keys SET status_code = $3, content_type = $4, body = $5 WHERE scope = $1 AND key = $2",
                ct, scope, key, response.StatusCode, response.ContentType, response.Body);
        });

    /// <summary>
    /// Ends the claim of a request that failed without an answer to keep (a 5xx), so the client's retry takes it over at
    /// once and recovers: what the failed run committed answers as it did, the rest runs once.
    /// </summary>
    public Task LapseAsync(string scope, string key, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var _ = await connection.QueryAsync(
                "UPDATE idempotency_keys SET claimed_at = '-infinity' WHERE scope = $1 AND key = $2 AND status_code IS NULL", ct, scope, key);
        });

    /// <summary>The answers of the grain calls a keyed request made to <paramref name="grain"/> that committed, by call.</summary>
    public Task<IReadOnlyDictionary<string, byte[]>> RecallAsync(string scope, string key, string grain, CancellationToken ct) =>
        Db.RunAsync<IReadOnlyDictionary<string, byte[]>>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var reader = await connection.QueryAsync(
                "SELECT call, answer FROM idempotency_effects WHERE scope = $1 AND key = $2 AND grain = $3", ct, scope, key, grain);
            var answers = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            while (await reader.ReadAsync(ct))
            {
                answers[reader.GetString(0)] = reader.GetFieldValue<byte[]>(1);
            }

            return answers;
        });

    /// <summary>Deletes keys (and the answers recorded for them) first claimed before <paramref name="before"/>, a batch at a time.</summary>
    public Task<long> DeleteOlderThanAsync(DateTimeOffset before, CancellationToken ct) =>
        Db.RunAsync(async () =>
        {
            long deleted = 0;
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            foreach (var table in new[] { "idempotency_effects", "idempotency_keys" })
            {
                int batch;
                do
                {
                    await using var command = new NpgsqlCommand(
                        $"DELETE FROM {table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM {table} WHERE created_at < $1 LIMIT 5000))", connection);
                    command.Parameters.Add(Db.Parameter(before));
                    batch = await command.ExecuteNonQueryAsync(ct);
                    deleted += table == "idempotency_keys" ? batch : 0;
                }
                while (batch == 5000);
            }

            return deleted;
        });
}
