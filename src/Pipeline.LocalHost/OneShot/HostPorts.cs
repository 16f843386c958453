using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Pipeline.LocalHost.OneShot;

/// <summary>
/// The ports a one-shot's own host listens on: the configured API and emulator ports when both are free; when either is
/// taken by a program that is not a serving local host, two free ones, so that the one-shot neither fails to start nor
/// takes a port from a host that is still starting.
/// </summary>
public static class HostPorts
{
    /// <summary>Which configured ports are held: <c>port 7071 is</c>, <c>ports 7071 and 7072 are</c>; null when none.</summary>
    public static string? Taken(LocalHostOptions options)
    {
        int[] configured = [options.Port, options.UseEmulator ? options.EmulatorPort : 0];
        List<int> taken = [.. configured.Where(port => port != 0 && !IsFree(port))];
        return taken.Count switch
        {
            0 => null,
            1 => $"port {taken[0]} is",
            _ => $"ports {taken[0]} and {taken[1]} are",
        };
    }

    /// <summary>Settings that move the host and its emulator to two free ports.</summary>
    public static string[] FreeOnes()
    {
        // Both found while both are held, so that they differ.
        using var first = new TcpListener(IPAddress.Loopback, 0);
        using var second = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        second.Start();
        var (api, emulator) = (((IPEndPoint)first.LocalEndpoint).Port, ((IPEndPoint)second.LocalEndpoint).Port);
        return
        [
            $"--{LocalHostOptions.SectionName}:{nameof(LocalHostOptions.Port)}", api.ToString(CultureInfo.InvariantCulture),
            $"--{LocalHostOptions.SectionName}:{nameof(LocalHostOptions.EmulatorPort)}", emulator.ToString(CultureInfo.InvariantCulture),
        ];
    }

    /// <summary>Whether this machine's loopback addresses, where the host and the emulator listen, leave the port free.</summary>
    private static bool IsFree(int port)
    {
        foreach (var address in Socket.OSSupportsIPv6 ? [IPAddress.Loopback, IPAddress.IPv6Loopback] : new[] { IPAddress.Loopback })
        {
            try
            {
                using var listener = new TcpListener(address, port);
                listener.Start();
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
            {
                return false;
            }
            catch (SocketException)
            {
                // the address itself is missing (IPv6 off): nothing can hold the port there
            }
        }

        return true;
    }
}
