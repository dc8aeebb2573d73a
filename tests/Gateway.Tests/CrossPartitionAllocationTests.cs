using System.Buffers.Binary;
using System.Net.Sockets;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Tcp;
using Wallet.Gateway.Tests.Support;
using Wallet.Host.Sagas;
using Wallet.Protocol;
using Wallet.Saga;
using Xunit.Abstractions;

namespace Wallet.Gateway.Tests;

/// <summary>
/// A single cross-partition transfer through the SBE gateway and the saga coordinator (the host's seam, the real
/// coordinator, two partitions) allocates nothing per transfer once warm: the session's completion is made once and
/// the seam's adapter is kept on it (<see cref="ICrossPartitionCompletion.SeamAdapter"/>). Before, each transfer made
/// two small objects (the session's completion and the seam's adapter).
/// </summary>
[Collection(nameof(AllocationTests))]
public sealed class CrossPartitionAllocationTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new("cross-alloc");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Cross_partition_transfers_round_trip_without_per_transfer_allocation()
    {
        var map = PartitionMap.Uniform(2);
        var gateway = new GatewayServer(new GatewayOptions { Port = 0, MinHeartbeatIntervalMs = 1000 }, new UserDirectory(GatewayFixture.Users));
        var routers = new[] { new SagaResultRouter(0, gateway.ResultHandler), new SagaResultRouter(1, gateway.ResultHandler) };
        var partitions = new PartitionEngine[2];
        for (int p = 0; p < 2; p++) partitions[p] = PartitionEngine.Start(GatewayFixture.DefaultPartition(Path.Combine(_dir.Path, $"p{p}")), routers[p]);
        LedgerOptions ledger = GatewayFixture.DefaultPartition(_dir.Path).Ledger;
        using SagaCoordinator coordinator = SagaCoordinator.Start(new SagaCoordinatorOptions
        {
            DataDirectory = Path.Combine(_dir.Path, "saga"),
            Saga = new SagaOptions { Map = map, Catalog = ledger.Catalog, MaxActiveSagas = 4096, RetainedCompletedSagas = 4096, MaxBatchSize = 256 },
            Fsync = FsyncPolicy.None,
        }, partitions, routers);
        try
        {
            gateway.Start(new PartitionedRouter(partitions, map, new SagaCrossPartitionTransfers(coordinator, SagaMode.Saga)));
            UInt128 a = PartitionedSetup.IdsOn(map, 0, 1)[0], b = PartitionedSetup.IdsOn(map, 1, 1)[0];
            await using (RawClient admin = await RawClient.ConnectAsync(gateway.LocalEndPoint))
            {
                await admin.LogonAsync("admin", GatewayFixture.AdminPassword);
                await admin.CreateAccountsAsync(1, a);
                await admin.CreateAccountsAsync(1, b);
            }

            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 10_000 };
            socket.Connect(gateway.LocalEndPoint);
            SyncFrames.Send(socket, RawClient.Logon(1, "admin", GatewayFixture.AdminPassword));
            byte[] receive = new byte[64 * 1024];
            SyncFrames.Read(socket, receive); // LogonAck

            byte[] message = RawClient.CreateTransfers(2, new TransferSpec(1, a, b, 1));
            byte[] frame = new byte[Sofh.HeaderLength + message.Length];
            Sofh.Write(frame, frame.Length);
            message.CopyTo(frame, Sofh.HeaderLength);
            const int correlationOffset = Sofh.HeaderLength + 8;          // SOFH, SBE header
            const int idOffset = Sofh.HeaderLength + 8 + 8 + 4;           // then correlationId, group dimension
            ulong next = 10_000;
            int lastWindowMs = 100;
            void RoundTrips(int n)
            {
                for (int i = 0; i < n; i++)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(correlationOffset), next);
                    BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(idOffset), next++);
                    socket.Send(frame);
                    // CreateResults: the saga's outcome. (No Assert here: xunit's Assert.Equal boxes and allocates per call.)
                    if (SyncFrames.Read(socket, receive) != 20) throw new InvalidOperationException("expected CreateResults");
                }
            }

            const int window = 400;
            RoundTrips(3 * window);
            // Process-wide counts include whatever else the test process runs meanwhile (other tests' servers winding
            // down, timers); a saga round trip is slow enough for that to add tens of bytes per transfer in a full run.
            // So each window is paired with an idle stretch of the same length just before it, and the quietest
            // difference must be (nearly) zero: a per-transfer object would show in every window, noise does not.
            double quietest = double.MaxValue;
            var perWindow = new List<string>();
            for (int w = 0; w < 6 && quietest >= 32; w++)
            {
                long idleFrom = GC.GetTotalAllocatedBytes(precise: true);
                long idleTicks = System.Diagnostics.Stopwatch.GetTimestamp();
                Thread.Sleep(lastWindowMs);
                long idleBytes = GC.GetTotalAllocatedBytes(precise: true) - idleFrom;
                double idleSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(idleTicks).TotalSeconds;

                long before = GC.GetTotalAllocatedBytes(precise: true);
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                RoundTrips(window);
                double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
                long bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
                double background = idleBytes * (seconds / idleSeconds);
                double perTransfer = (bytes - background) / window;
                perWindow.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (double)window:F1} - {background / window:F1} idle"));
                quietest = Math.Min(quietest, perTransfer);
                lastWindowMs = Math.Clamp((int)(seconds * 1000), 20, 2000);
            }
            output.WriteLine($"bytes allocated per cross-partition round trip, process-wide, per window (minus the idle rate): {string.Join(", ", perWindow)}");
            Assert.True(quietest < 32, $"{quietest:F1} bytes allocated per cross-partition transfer in the quietest window (idle rate subtracted)");

            // And they were real transfers: every one committed across the two partitions.
            long sent = (long)(next - 10_000);
            long deadline = Environment.TickCount64 + 10_000;
            while (coordinator.OpenSagas != 0 && Environment.TickCount64 < deadline) await Task.Delay(5);
            await using RawClient check = await RawClient.ConnectAsync(gateway.LocalEndPoint);
            await check.LogonAsync("admin", GatewayFixture.AdminPassword);
            Assert.Equal(sent, (long)(await check.LookupAccountsAsync(a))[0].DebitsPosted);
            Assert.Equal(sent, (long)(await check.LookupAccountsAsync(b))[0].CreditsPosted);
        }
        finally
        {
            coordinator.Stop(TimeSpan.FromSeconds(5));
            await gateway.DisposeAsync();
            foreach (PartitionEngine p in partitions) p.Dispose();
        }
    }
}
