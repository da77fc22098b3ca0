using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Orleans.Runtime;

namespace Hourdini.Grains.Common;

/// <summary>
/// The <c>Idempotency-Key</c> of the HTTP request a call serves, carried in Orleans' <see cref="RequestContext"/> from the
/// gateway to every grain the request reaches. With it, each grain write of the request records the call's answer in the
/// same transaction (<see cref="IPendingRows.Remember{T}"/>), and the ids the request creates derive from the key, so a
/// request retried after a crash finds what it already did instead of doing it again (API.md, "Idempotency-Key").
/// </summary>
public static class IdempotentRequest
{
    /// <summary>Caller scope and key, one per line.</summary>
    public const string KeyName = "hd.idem";

    /// <summary>When the request was first claimed (Unix milliseconds): the time part of the ids it derives.</summary>
    public const string ClaimedAtName = "hd.idem.at";

    /// <summary>Set when the request is run again after its first run's node stopped answering: committed calls replay.</summary>
    public const string RecoveringName = "hd.idem.recovering";

    public static string? Key => RequestContext.Get(KeyName) as string;

    public static bool Recovering => RequestContext.Get(RecoveringName) is true;

    /// <summary>Marks the calls made from here on (the rest of an HTTP request) as serving <paramref name="scopedKey"/>.</summary>
    public static void Enter(string scopedKey, DateTimeOffset claimedAt, bool recovering)
    {
        RequestContext.Set(KeyName, scopedKey);
        RequestContext.Set(ClaimedAtName, claimedAt.ToUnixTimeMilliseconds());
        if (recovering)
        {
            RequestContext.Set(RecoveringName, true);
        }
    }

    public static void Leave()
    {
        RequestContext.Remove(KeyName);
        RequestContext.Remove(ClaimedAtName);
        RequestContext.Remove(RecoveringName);
    }

    /// <summary>
    /// The id of a thing the request creates: a version-7 id at <paramref name="at"/> without a key; with one, the same id
    /// every time the request runs (its time part is when the key was first claimed, its random part a hash of the key and
    /// <paramref name="purpose"/>), still ordered in time like the others.
    /// </summary>
    public static Guid NewId(DateTimeOffset at, string purpose)
    {
        if (Key is not { } key || RequestContext.Get(ClaimedAtName) is not long claimedAt)
        {
            return Guid.CreateVersion7(at);
        }

        Span<byte> bytes = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{key}\n{purpose}"), bytes);
        Span<byte> id = stackalloc byte[16];
        bytes[..16].CopyTo(id);
        BinaryPrimitives.WriteInt64BigEndian(id, (claimedAt << 16) | BinaryPrimitives.ReadUInt16BigEndian(bytes[6..]));
        id[6] = (byte)(0x70 | (id[6] & 0x0F)); // version 7
        id[8] = (byte)(0x80 | (id[8] & 0x3F)); // RFC 9562 variant
        return new Guid(id, bigEndian: true);
    }
}
