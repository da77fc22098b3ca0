using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Hourdini.Grains.Common;
using Hourdini.Silo.Storage.Tracking;

namespace Hourdini.Gateway.Http;

/// <summary>Opaque keyset cursors for lists ordered newest first.</summary>
public static class Cursors
{
    public static string? Encode(Cursor? cursor) => cursor is { } c
        ? Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            $"{c.At.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}.{c.Id:N}"))
        : null;

    public static Cursor? Decode(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        try
        {
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text)).Split('.');
            return new Cursor(
                DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(parts[0], CultureInfo.InvariantCulture)),
                Guid.ParseExact(parts[1], "N"));
        }
        catch (Exception error) when (error is FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException or OverflowException)
        {
            throw Refusal.Invalid("cursor is not one this API returned.");
        }
    }
}
