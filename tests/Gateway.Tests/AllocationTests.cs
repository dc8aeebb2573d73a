using System.Buffers.Binary;
using System.Net.Sockets;
using Wallet.Gateway.Tests.Support;
using Wallet.Protocol;
using Xunit.Abstractions;

namespace Wallet.Gateway.Tests;

/// <summary>
/// The gateway's steady state (frame → decode → TrySubmit; egress → encode → socket) allocates nothing per message.
/// Measured process-wide (engine included), so the client side here is allocation-free too (pre-encoded frame,
/// synchronous socket calls).
/// </summary>
[Collection(nameof(AllocationTests))]
public sealed class AllocationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Transfers_round_trip_without_per_message_allocation()
    {
        // Production-like timer period (250 ms): the housekeeping tick allocates a little per period, and tests elsewhere
        // use 5 ms ticks, which on a loaded machine would look like per-message cost.
        await using GatewayFixture g = GatewayFixture.Start(o => new GatewayOptions { Port = 0, MinHeartbeatIntervalMs = 1000 });
        await using (RawClient admin = await g.AdminAsync()) await admin.CreateAccountsAsync(1, 100, 101);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 10_000 };
        socket.Connect(g.Endpoint);
        SyncFrames.Send(socket, RawClient.Logon(1, "admin", GatewayFixture.AdminPassword));
        byte[] receive = new byte[64 * 1024];
        SyncFrames.Read(socket, receive); // LogonAck

        byte[] message = RawClient.CreateTransfers(2, new TransferSpec(1, 100, 101, 1));
        byte[] frame = new byte[Sofh.HeaderLength + message.Length];
        Sofh.Write(frame, frame.Length);
        message.CopyTo(frame, Sofh.HeaderLength);
        const int idOffset = Sofh.HeaderLength + 8 + 8 + 4; // SOFH, SBE header, correlationId, group dimension

        ulong next = 1_000;
        void RoundTrips(int n)
        {
            for (int i = 0; i < n; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(idOffset), next++);
                socket.Send(frame);
                ushort template = SyncFrames.Read(socket, receive);
                Assert.True(template == 20, "expected CreateResults");
            }
        }

        // Amortised growth (the ledger's tables doubling, journal segments) lands in some windows; an allocation per
        // message would land in every one. So: several windows, the quietest must be (nearly) allocation-free.
        const int window = 1000;
        RoundTrips(2 * window); // warm-up: JIT and tiering, buffers grown once
        double quietest = double.MaxValue;
        var perWindow = new List<double>();
        for (int w = 0; w < 4; w++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            RoundTrips(window);
            double perMessage = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)window;
            perWindow.Add(perMessage);
            quietest = Math.Min(quietest, perMessage);
        }
        output.WriteLine($"bytes allocated per round trip, process-wide, per window: {string.Join(", ", perWindow.ConvertAll(x => x.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))}");
        // Timers and the housekeeping tick allocate a little per period, never per message.
        Assert.True(quietest < 32, $"{quietest:F1} bytes allocated per round trip in the quietest window");
    }
}

/// <summary>Process-wide allocation counts are only meaningful when no other test runs at the same time.</summary>
[CollectionDefinition(nameof(AllocationTests), DisableParallelization = true)]
public sealed class AllocationTestsCollection;
