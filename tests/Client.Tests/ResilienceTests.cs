using Wallet.Engine.Ledger;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Client.Tests;

public sealed class ResilienceTests
{
    [Fact]
    public async Task Dropped_connection_resubmits_the_same_ids_and_applied_items_report_ok()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) =>
        {
            if (s.Number == 1)
            {
                server.Apply(r); // applied by the ledger, but the answer is lost with the connection
                s.Abort();
                return Task.CompletedTask;
            }
            return server.DefaultAnswerAsync(s, r);
        };
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        CreateResult[] results = await client.CreateTransfersAsync(new[] { TestKit.Transfer(11), TestKit.Transfer(12) }).Bounded();

        Assert.All(results, r => Assert.Equal(ResultCode.Ok, r.Code)); // Exists on resubmit = applied the first time
        ReceivedRequest[] sent = server.Requests.ToArray();
        Assert.Equal(2, sent.Length);
        Assert.Equal(sent[0].Transfers.Select(t => t.Id), sent[1].Transfers.Select(t => t.Id));
        Assert.Equal([1, 2], sent.Select(r => r.ConnectionNumber));
        Assert.Equal(1, client.ReconnectCount);
        Assert.Equal(2, server.Logons);
        Assert.Equal(2, server.Transfers.Count); // applied once
    }

    [Fact]
    public async Task Exists_mapping_can_be_turned_off_and_never_applies_to_first_sends()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) =>
        {
            if (s.Number == 1 && r.Transfers[0].Id == 21)
            {
                server.Apply(r);
                s.Abort();
                return Task.CompletedTask;
            }
            return server.DefaultAnswerAsync(s, r);
        };
        var options = TestKit.Options(server.Port);
        options.ResubmittedExistsAsOk = false;
        await using var client = await WalletClient.ConnectAsync(options).Bounded();

        Assert.Equal(ResultCode.Exists, (await client.CreateTransfersAsync(new[] { TestKit.Transfer(21) }).Bounded())[0].Code);
        // Sent once, duplicate of an earlier id: Exists is reported as is, whatever the option.
        Assert.Equal(ResultCode.Exists, await client.CreateTransferAsync(TestKit.Transfer(21)).Bounded());
    }

    [Fact]
    public async Task Coalesced_single_transfers_are_resubmitted_after_a_drop()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) =>
        {
            if (s.Number == 1)
            {
                server.Apply(r);
                s.Abort();
                return Task.CompletedTask;
            }
            return server.DefaultAnswerAsync(s, r);
        };
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        var calls = Enumerable.Range(1, 20).Select(i => client.CreateTransferAsync(TestKit.Transfer((UInt128)i))).ToArray();
        ResultCode[] codes = await Task.WhenAll(calls).WaitAsync(TestKit.Bound);

        Assert.All(codes, c => Assert.Equal(ResultCode.Ok, c));
        Assert.Equal(20, server.Transfers.Count);
    }

    [Fact]
    public async Task Redirect_is_followed_and_the_request_resubmitted_to_the_leader()
    {
        await using var leader = new FakeServer();
        await using var follower = new FakeServer();
        follower.OnRequest = (s, r) => s.SendRedirectAsync(r.CorrelationId, "127.0.0.1", leader.Port, term: 9);
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(follower.Port)).Bounded();

        CreateResult[] results = await client.CreateTransfersAsync(new[] { TestKit.Transfer(31) }).Bounded();

        Assert.Equal(ResultCode.Ok, results[0].Code);
        Assert.Equal(leader.Port, client.Endpoint.Port);
        Assert.Equal((UInt128)31, leader.Requests.Single().Transfers[0].Id);
        Assert.IsType<LeaderRedirectException>(client.LastConnectionError);
    }

    [Fact]
    public async Task Silent_gateway_is_declared_dead_and_replaced()
    {
        await using var server = new FakeServer { HeartbeatIntervalMs = 50, SendsHeartbeats = false };
        server.OnRequest = (s, r) => s.Number == 1 ? Task.CompletedTask : server.DefaultAnswerAsync(s, r);
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        // Session 1 never answers and sends nothing: only the dead-peer check can rescue the call.
        // Session 2 answers (it is silent too, but the answer comes well within 3 intervals).
        CreateResult[] results = await client.CreateTransfersAsync(new[] { TestKit.Transfer(41) }).Bounded();

        Assert.Equal(ResultCode.Ok, results[0].Code);
        Assert.True(client.ReconnectCount >= 1);
        Assert.Contains("no frame from", client.LastConnectionError?.Message ?? "", StringComparison.Ordinal);
        Assert.Contains(server.Requests, r => r.Transfers[0].Id == 41 && r.ConnectionNumber >= 2);
    }

    [Fact]
    public async Task A_receive_loop_held_up_in_this_process_does_not_make_a_live_gateway_look_dead()
    {
        // Heartbeats every 50 ms, dead after 3 missed (150 ms). A completion handler blocks the receive loop for 1.2 s
        // (what thread-pool starvation does to it): the gateway's heartbeats pile up unread in the socket. Judged by
        // frames processed, the connection would be cut after 150 ms; judged by what arrived, it lives.
        // The gateway's heartbeats come from a thread of their own: the fake gateway shares this process's thread pool,
        // which the blocked receive loop may starve (as it would starve any in-process timer) — a real gateway does not.
        await using var server = new FakeServer { HeartbeatIntervalMs = 50, SendsHeartbeats = false };
        using var stop = new CancellationTokenSource();
        server.OnLogon = (s, correlationId) =>
        {
            var beats = new Thread(() =>
            {
                try
                {
                    while (!stop.Token.WaitHandle.WaitOne(50)) s.SendHeartbeatAsync().GetAwaiter().GetResult();
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException) { }
            }) { IsBackground = true, Name = "fake-gateway-heartbeats" };
            beats.Start();
            return s.SendLogonAckAsync(correlationId, server.HeartbeatIntervalMs, server.MaxInFlight, server.MaxFrameBytes, server.MaxBatchSize);
        };
        WalletClientOptions options = TestKit.Options(server.Port);
        options.HeartbeatIntervalMs = 50;
        await using var client = await WalletClient.ConnectAsync(options).Bounded();
        var handler = new BlockingHandler(TimeSpan.FromMilliseconds(1_200));
        Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer(61), handler, userToken: 61));
        Assert.True(handler.Done.Wait(TimeSpan.FromSeconds(10)), "the handler never ran");

        Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(TestKit.Transfer(62)).Bounded());
        Assert.True(client.ReconnectCount == 0, $"reconnected {client.ReconnectCount}×: {client.LastConnectionError}");
        Assert.Equal(1, server.Connections);
        stop.Cancel();
    }

    private sealed class BlockingHandler(TimeSpan block) : ITransferResultHandler
    {
        public ManualResetEventSlim Done { get; } = new();

        public void OnTransferCompleted(long userToken, ResultCode code)
        {
            Thread.Sleep(block); // on the receive loop: nothing else this connection receives is processed meanwhile
            Done.Set();
        }

        public void OnTransferFailed(long userToken, Exception error) => Done.Set();
    }

    [Fact]
    public async Task Gateway_heartbeats_keep_an_idle_session_alive()
    {
        // 250 ms heartbeats, dead after 12 missed (3 s): a loaded CI runner (every test assembly at once on 2 cores)
        // stalled a 100 ms / 600 ms setting once and a 250 ms / 1.5 s one once more.
        await using var server = new FakeServer { HeartbeatIntervalMs = 250 };
        var options = TestKit.Options(server.Port);
        options.DeadAfterMissedHeartbeats = 12; // slack for a loaded CI machine; still well inside the wait below
        await using var client = await WalletClient.ConnectAsync(options).Bounded();

        await Task.Delay(6_000); // 24 intervals: without the gateway's heartbeats the session would die after twelve

        Assert.Equal(0, client.ReconnectCount);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task Malformed_frame_resets_the_connection_and_the_request_is_resubmitted()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) =>
        {
            if (s.Number == 1)
            {
                var junk = new byte[20];
                Sofh.Write(junk, junk.Length, encodingType: 0x1234); // not SBE little-endian
                return s.SendRawAsync(junk);
            }
            return server.DefaultAnswerAsync(s, r);
        };
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(TestKit.Transfer(51)).Bounded());
        var error = Assert.IsType<WalletProtocolException>(client.LastConnectionError);
        Assert.Contains("0x1234", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3)]             // shorter than SOFH + SBE header
    [InlineData(int.MaxValue)]  // absurd length: must not allocate or wait for 2 GB
    public async Task Bad_frame_length_resets_the_connection(int length)
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) =>
        {
            if (s.Number == 1)
            {
                var junk = new byte[Sofh.HeaderLength];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(junk, (uint)length);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(junk.AsSpan(4), Sofh.SbeLittleEndian);
                return s.SendRawAsync(junk);
            }
            return server.DefaultAnswerAsync(s, r);
        };
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(TestKit.Transfer(52)).Bounded());
        Assert.IsType<WalletProtocolException>(client.LastConnectionError);
    }

    [Fact]
    public async Task Gateway_logout_is_a_connection_loss_and_the_request_is_resubmitted()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) => s.Number == 1 ? s.SendLogoutAsync("maintenance") : server.DefaultAnswerAsync(s, r);
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(TestKit.Transfer(61)).Bounded());
        Assert.Contains("maintenance", client.LastConnectionError?.Message ?? "", StringComparison.Ordinal);
        Assert.Equal(1, client.ReconnectCount);
    }

    [Fact]
    public async Task Uncorrelated_reject_resets_the_connection()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) => s.Number == 1
            ? s.SendRejectAsync(0, RejectReason.MalformedFrame, 0, "cannot read frame")
            : server.DefaultAnswerAsync(s, r);
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(TestKit.Transfer(62)).Bounded());
        var error = Assert.IsType<WalletRejectedException>(client.LastConnectionError);
        Assert.Equal(RejectReason.MalformedFrame, error.Reason);
    }

    [Fact]
    public async Task Result_index_outside_the_batch_fails_the_request_precisely()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) => s.SendCreateResultsAsync(r.CorrelationId, [(5, ResultCode.Ok)]);
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        var e = await Assert.ThrowsAsync<WalletProtocolException>(() => client.CreateTransfersAsync(new[] { TestKit.Transfer(1) }).Bounded());
        Assert.Contains("itemIndex 5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Truncated_group_fails_the_request_and_resets_the_connection()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) =>
        {
            // CreateResults announcing 1000 results in a frame that holds none.
            var buffer = new byte[64];
            var m = CreateResultsEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
            m.CorrelationId = r.CorrelationId;
            m.ResultsCount(0);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(m.Limit - 2), 1000);
            Sofh.Write(buffer, m.Limit);
            return s.SendRawAsync(buffer.AsSpan(0, m.Limit).ToArray());
        };
        var options = TestKit.Options(server.Port);
        await using var client = await WalletClient.ConnectAsync(options).Bounded();

        await Assert.ThrowsAsync<WalletProtocolException>(() => client.CreateTransfersAsync(new[] { TestKit.Transfer(1) }).Bounded());
        await TestKit.Eventually(() => client.ReconnectCount >= 1, "connection reset after the bad frame");
    }

    [Fact]
    public async Task Lost_gateway_fails_pending_calls_after_bounded_reconnect_attempts()
    {
        var server = new FakeServer();
        server.OnRequest = (_, _) => Task.CompletedTask;
        var options = TestKit.Options(server.Port);
        options.ReconnectAttempts = 2;
        await using var client = await WalletClient.ConnectAsync(options).Bounded();
        var call = client.CreateTransfersAsync(new[] { TestKit.Transfer(1) });
        await TestKit.Eventually(() => server.Requests.Count == 1, "request sent");

        await server.DisposeAsync(); // listener gone, connection reset

        var e = await Assert.ThrowsAsync<WalletConnectionException>(() => call.Bounded());
        Assert.Contains("attempts", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<WalletConnectionException>(() => client.CreateTransferAsync(TestKit.Transfer(2)).Bounded());
    }

    [Fact]
    public async Task Logon_reject_on_reconnect_fails_pending_calls_with_the_reason()
    {
        await using var server = new FakeServer();
        server.OnLogon = (s, id) => s.Number == 1
            ? s.SendLogonAckAsync(id, 1000, 64, 1 << 20, 8190)
            : s.SendLogonRejectAsync(id, RejectReason.BadCredentials, "revoked");
        server.OnRequest = (s, _) =>
        {
            s.Abort();
            return Task.CompletedTask;
        };
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        var e = await Assert.ThrowsAsync<WalletLogonException>(() => client.CreateTransferAsync(TestKit.Transfer(1)).Bounded());
        Assert.Equal(RejectReason.BadCredentials, e.Reason);
    }
}
