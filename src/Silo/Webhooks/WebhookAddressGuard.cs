using System.Net;
using System.Net.Sockets;
using Hourdini.Grains.Common;

namespace Hourdini.Silo.Webhooks;

/// <summary>
/// No SSRF into the host's network (R33): a webhook's host must resolve only to public addresses. Private (10/8,
/// 172.16/12, 192.168/16, 100.64/10, fc00::/7), link-local (169.254/16, fe80::/10), multicast, unspecified, broadcast
/// and reserved addresses are always refused; loopback only when <see cref="WebhookOptions.AllowLoopback"/>. It is
/// checked at registration and again on every connection a delivery makes (<see cref="ConnectAsync"/>), since a name
/// can resolve elsewhere by then (DNS rebinding).
/// </summary>
public sealed class WebhookAddressGuard(WebhookOptions options)
{
    public const string RefusedCode = "webhook_url_refused";

    /// <summary>The URL as registered: absolute http(s), no credentials, and every address its host resolves to allowed.</summary>
    public async Task<Uri> CheckUrlAsync(string? url, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > 2000
            || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw Refusal.Invalid("url must be an absolute http or https URL of at most 2000 characters.");
        }

        if (uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
        {
            throw Refusal.Invalid("url must not carry credentials or a fragment.");
        }

        try
        {
            await ResolveAsync(uri.IdnHost, ct);
        }
        catch (WebhookAddressRefusedException refused)
        {
            throw Refusal.Invalid(refused.Message, RefusedCode);
        }

        return uri;
    }

    /// <summary>
    /// The <see cref="SocketsHttpHandler.ConnectCallback"/> of the delivery client: resolves the host again and connects
    /// only if every address is allowed, so a name that now points into the host's network reaches nothing.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, ct);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, ct);
            }
            catch (SocketException)
            {
                throw new WebhookAddressRefusedException($"The host {host} does not resolve.");
            }
        }

        if (addresses.Length == 0)
        {
            throw new WebhookAddressRefusedException($"The host {host} does not resolve.");
        }

        foreach (var address in addresses)
        {
            if (!IsAllowed(address))
            {
                throw new WebhookAddressRefusedException(
                    $"The host {host} resolves to {address}, a private, link-local, loopback or reserved address; webhooks reach public addresses only.");
            }
        }

        return addresses;
    }

    public bool IsAllowed(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return options.AllowLoopback;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0                                  // "this network", unspecified
                || b[0] == 10                                   // private
                || (b[0] == 100 && (b[1] & 0xC0) == 64)         // shared (carrier-grade NAT)
                || (b[0] == 169 && b[1] == 254)                 // link-local (cloud metadata)
                || (b[0] == 172 && (b[1] & 0xF0) == 16)         // private
                || (b[0] == 192 && b[1] == 168)                 // private
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)      // IETF protocol assignments
                || (b[0] == 198 && (b[1] & 0xFE) == 18)         // benchmarking
                || b[0] >= 224);                                // multicast, reserved, broadcast
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(address.Equals(IPAddress.IPv6None)          // ::
                || (b[0] & 0xFE) == 0xFC                        // unique local fc00::/7
                || (b[0] == 0xFE && (b[1] & 0xC0) == 0x80)      // link-local fe80::/10
                || (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0)      // site-local fec0::/10 (deprecated)
                || b[0] == 0xFF                                 // multicast
                || address.IsIPv4Compatible());                 // ::a.b.c.d, which some stacks route as IPv4
        }

        return false;
    }
}

/// <summary>A webhook's host resolves to an address it may not reach.</summary>
public sealed class WebhookAddressRefusedException(string message) : Exception(message);

internal static class AddressExtensions
{
    /// <summary>::a.b.c.d (deprecated IPv4-compatible form): the first 96 bits zero, and not :: or ::1.</summary>
    public static bool IsIPv4Compatible(this IPAddress address)
    {
        var b = address.GetAddressBytes();
        for (var i = 0; i < 12; i++)
        {
            if (b[i] != 0)
            {
                return false;
            }
        }

        return !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback);
    }
}
