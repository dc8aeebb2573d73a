using System.Net;
using System.Net.Sockets;

namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>A loopback TCP port the OS reports free right now (bind port 0, read it, release it).</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
