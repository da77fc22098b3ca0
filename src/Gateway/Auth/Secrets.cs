using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Hourdini.Gateway.Auth;

/// <summary>Token secrets: 256 random bits behind a readable prefix, stored only as a SHA-256 hash.</summary>
public static class Secrets
{
    public const string PatPrefix = "hd_pat_live_";

    public const string AgentPrefix = "hd_agt_live_";

    public const string InvitationPrefix = "hd_inv_live_";

    public static string NewPersonalAccessToken() => PatPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string NewAgentToken() => AgentPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string NewInvitationToken() => InvitationPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>A hash is enough: the secret is random and long, so there is nothing to brute-force.</summary>
    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
