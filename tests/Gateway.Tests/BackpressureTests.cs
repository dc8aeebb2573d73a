using Wallet.Engine.Partition;
using Wallet.Gateway.Tests.Support;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Tests;

public sealed class BackpressureTests
{
    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!condition())
        {
            await Task.Delay(20, cts.Token);
        }
    }

    [Fact]
    public async Task A_full_ring_answers_Busy_and_everything_accepted_is_answered_later()
    {
        GatedResultHandler? gate = null;
        await using GatewayFixture g = GatewayFixture.Start(
            partition: p => new PartitionOptions { DataDirectory = p.DataDirectory, Ledger = p.Ledger, MaxCommandBytes = p.MaxCommandBytes, JournalSegmentSizeBytes = p.JournalSegmentSizeBytes, Fsync = p.Fsync, IngressRingSize = 4, EgressRingSize = 2 },
            wrapResults: h => gate = new GatedResultHandler(h));
        try
        {
            await using RawClient c = await g.AdminAsync();
            const int requests = 30;
            for (int i = 1; i <= requests; i++) await c.SendMessageAsync(RawClient.LookupAccounts((ulong)i, 1));
            var busy = new HashSet<ulong>();
            // With the egress stalled only the rings' capacity can be taken: the rest must come back Busy.
            while (busy.Count < requests - 4 - 2 - 1)
            {
                Frame f = await c.ExpectAsync(BusyDecoder.TemplateId);
                var b = f.AsBusy();
                Assert.Equal(5U, b.RetryAfterMs);
                Assert.True(busy.Add(b.CorrelationId));
            }
            gate!.Open();
            var answered = new HashSet<ulong>();
            while (answered.Count + busy.Count < requests)
            {
                Frame f = (await c.ReadAsync())!;
                if (f.TemplateId == BusyDecoder.TemplateId) Assert.True(busy.Add(f.AsBusy().CorrelationId));
                else if (f.TemplateId == AccountsFoundDecoder.TemplateId) Assert.True(answered.Add(f.AsAccountsFound().CorrelationId));
                else Assert.Fail($"unexpected template {f.TemplateId}");
            }
            Assert.Empty(answered.Intersect(busy));
            Assert.True(answered.Count >= 1);
        }
        finally
        {
            gate?.Open();
        }
        gate?.Dispose();
    }

    [Fact]
    public async Task In_flight_limit_rejects_TooManyInFlight()
    {
        GatedResultHandler? gate = null;
        await using GatewayFixture g = GatewayFixture.Start(
            gateway: o => new Wallet.Gateway.GatewayOptions { Port = 0, MaxInFlightPerSession = 2 },
            wrapResults: h => gate = new GatedResultHandler(h));
        try
        {
            await using RawClient c = await g.AdminAsync();
            for (int i = 1; i <= 5; i++) await c.SendMessageAsync(RawClient.LookupAccounts((ulong)i, 1));
            for (int i = 3; i <= 5; i++)
            {
                var r = (await c.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
                Assert.Equal(((ulong)i, RejectReason.TooManyInFlight), (r.CorrelationId, r.Reason));
            }
            gate!.Open();
            Assert.Equal(1UL, (await c.ExpectAsync(AccountsFoundDecoder.TemplateId)).AsAccountsFound().CorrelationId);
            Assert.Equal(2UL, (await c.ExpectAsync(AccountsFoundDecoder.TemplateId)).AsAccountsFound().CorrelationId);
            // Answers free the slots.
            Assert.Empty(await c.LookupAccountsAsync(9));
        }
        finally
        {
            gate?.Open();
        }
        gate?.Dispose();
    }

    [Fact]
    public async Task A_client_that_never_reads_is_cut_and_nobody_else_suffers()
    {
        await using GatewayFixture g = GatewayFixture.Start(gateway: o => new Wallet.Gateway.GatewayOptions
        {
            Port = 0, MaxBatchSize = 128, MaxFrameBytes = 16 * 1024, MaxOutboundBytesPerSession = 16 * 1024,
            SocketSendBufferBytes = 4096, MaxInFlightPerSession = 10_000, CloseLingerMs = 300,
        });
        await using RawClient admin = await g.AdminAsync();
        UInt128[] ids = new UInt128[128];
        for (int i = 0; i < ids.Length; i++) ids[i] = (UInt128)(i + 1);
        await admin.CreateAccountsAsync(1, ids);

        await using RawClient slow = await g.ConnectAsync(receiveBufferBytes: 4096);
        await slow.LogonAsync("admin", GatewayFixture.AdminPassword);
        Assert.Equal(2, g.Gateway.SessionCount);
        // ~12 KB per answer, 400 answers: far beyond the kernel buffers plus the 16 KB outbound limit.
        byte[] lookup = RawClient.LookupAccounts(1, ids);
        using var sendCts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Task flood = Task.Run(async () =>
        {
            for (int i = 0; i < 400 && g.Gateway.SessionCount == 2; i++) await slow.SendMessageAsync(lookup);
        }, sendCts.Token);
        await WaitUntil(() => g.Gateway.SessionCount == 1, TimeSpan.FromSeconds(20));
        await Task.WhenAny(flood, Task.Delay(TimeSpan.FromSeconds(5)));

        // The well-behaved session and the partition are unaffected.
        Assert.Equal(128, (await admin.LookupAccountsAsync(ids)).Count);
        Assert.Equal(PartitionState.Running, g.Partition.State);
    }
}

public sealed class DirectSendTests
{
    [Fact]
    public async Task Answers_beyond_the_socket_buffer_arrive_whole_and_in_order_when_the_client_reads_late()
    {
        // A tiny send buffer and a client that does not read: the egress thread's direct sends fill the socket, the
        // rest queues for the writer loop (partial sends, WouldBlock, the writer busy while later batches are answered).
        // Every answer must still arrive whole, once, in request order.
        await using GatewayFixture g = GatewayFixture.Start(gateway: o => new GatewayOptions
        {
            Port = 0, HeartbeatIntervalMs = o.HeartbeatIntervalMs, MinHeartbeatIntervalMs = o.MinHeartbeatIntervalMs,
            LogonTimeoutMs = o.LogonTimeoutMs, CloseLingerMs = o.CloseLingerMs, SocketSendBufferBytes = 4096, MaxInFlightPerSession = 1024, MaxOutboundBytesPerSession = 8 << 20,
        });
        long egress = 0, writerLoop = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "wallet.sbe.answer_flushes") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key != "path") continue;
                if ((string?)tag.Value == "egress") Interlocked.Add(ref egress, value);
                else Interlocked.Add(ref writerLoop, value);
            }
        });
        listener.Start();
        await using RawClient c = await g.ConnectAsync(receiveBufferBytes: 4096);
        await c.LogonAsync("admin", GatewayFixture.AdminPassword);
        UInt128[] ids = Enumerable.Range(1, 60).Select(i => (UInt128)i).ToArray();
        Assert.All((await c.CreateAccountsAsync(1, ids)).Results, r => Assert.Equal(0u, r.Code));

        const int requests = 200; // 200 × 60 accounts × 128 B ≈ 1.5 MB of answers against an 8 KiB path
        const ulong firstCorrelation = 1_000;
        for (int i = 0; i < requests; i++) await c.SendMessageAsync(RawClient.LookupAccounts(firstCorrelation + (ulong)i, ids));
        await Task.Delay(300); // let the server run into a full socket before anything is read

        for (int i = 0; i < requests; i++)
        {
            (ulong correlation, List<AccountView> accounts) = (await c.ExpectAsync(AccountsFoundDecoder.TemplateId, TimeSpan.FromSeconds(30))).AsAccountsFound();
            Assert.Equal(firstCorrelation + (ulong)i, correlation);
            Assert.Equal(ids, accounts.Select(a => a.Id));
        }
        // The session is still healthy afterwards.
        Assert.Single(await c.LookupAccountsAsync(7));
        // Both paths were taken: direct sends while the socket had room, the writer loop once it was full. (Other
        // tests' sessions may add to either count; neither can be zero here.)
        Assert.True(Interlocked.Read(ref egress) > 0, "no answer left from the egress thread");
        Assert.True(Interlocked.Read(ref writerLoop) > 0, "no answer was handed to the writer loop although the socket was full");
    }
}
