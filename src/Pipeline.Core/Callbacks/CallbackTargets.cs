using System.Net;
using System.Net.Sockets;

namespace Pipeline.Core.Callbacks;

/// <summary>
/// Which addresses a callback may reach: public unicast only. Private (RFC 1918, fc00::/7), loopback, link-local
/// (169.254/16, fe80::/10, where cloud metadata endpoints live), carrier-grade NAT (100.64/10), unspecified, multicast,
/// broadcast and documentation ranges are refused, and IPv4-mapped IPv6 is judged as the IPv4 it maps.
/// </summary>
public static class CallbackTargets
{
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address)
            || address.Equals(IPAddress.Any)
            || address.Equals(IPAddress.IPv6Any)
            || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || (b[0] & 0xFE) == 0xFC // fc00::/7
                     || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) // 2001:db8::/32
                     || (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B)); // 64:ff9b::/96, NAT64 of any IPv4
        }

        var v4 = address.GetAddressBytes();
        return v4[0] switch
        {
            0 or 10 or 127 => false,
            100 when v4[1] >= 64 && v4[1] < 128 => false, // 100.64/10
            169 when v4[1] == 254 => false,
            172 when v4[1] >= 16 && v4[1] < 32 => false,
            192 when v4[1] == 168 => false,
            192 when v4[1] == 0 && (v4[2] == 0 || v4[2] == 2) => false, // 192.0.0/24, 192.0.2/24
            198 when v4[1] is 18 or 19 => false, // benchmarking
            198 when v4[1] == 51 && v4[2] == 100 => false,
            203 when v4[1] == 0 && v4[2] == 113 => false,
            >= 224 => false, // multicast, reserved
            _ => true,
        };
    }
}
