using System.Collections.Concurrent;
using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client.Tests;

public sealed class RequestTests
{
    [Fact]
    public async Task Accounts_and_transfers_round_trip_with_exact_amounts()
    {
        await using var server = new FakeServer();
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        Account[] accounts =
        [
            new() { Id = 1, Ledger = 1, Code = 10, UserData64 = 7, Flags = AccountFlags.DebitsMustNotExceedCredits },
            new() { Id = (UInt128.One << 100) + 2, Ledger = 1, Code = 10, UserData128 = UInt128.MaxValue - 5 },
        ];
        CreateResult[] created = await client.CreateAccountsAsync(accounts).Bounded();
        Assert.All(created, r => Assert.Equal(ResultCode.Ok, r.Code));

        Assert.True(AmountText.TryParse("12.34", 2, out long minor, out _));
        Transfer transfer = TestKit.Transfer(500, minor);
        transfer.CreditAccountId = accounts[1].Id;
        transfer.UserData32 = 99;
        Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(transfer).Bounded());

        Account[] found = await client.LookupAccountsAsync(new UInt128[] { accounts[1].Id, 12345, 1 }).Bounded();
        Assert.Equal([accounts[1].Id, (UInt128)1], found.Select(a => a.Id));
        Assert.Equal(UInt128.MaxValue - 5, found[0].UserData128);
        Assert.Equal(AccountFlags.DebitsMustNotExceedCredits, found[1].Flags);

        Transfer[] transfers = await client.LookupTransfersAsync(new UInt128[] { 500 }).Bounded();
        Assert.Single(transfers);
        Assert.Equal(1234L, transfers[0].Amount);
        Assert.Equal("12.34", AmountText.Format(transfers[0].Amount, 2));
        Assert.Equal(accounts[1].Id, transfers[0].CreditAccountId);
        Assert.Equal(99u, transfers[0].UserData32);

        CreateResult[] closed = await client.CloseAccountsAsync(new UInt128[] { 1 }).Bounded();
        Assert.Equal(ResultCode.Ok, closed[0].Code);
    }

    [Fact]
    public async Task Batch_results_keep_item_order_and_failures_only_answers_default_to_ok()
    {
        await using var server = new FakeServer();
        // Answer only the failures, out of order, like a "failures only" gateway would.
        server.OnRequest = (s, r) => s.SendCreateResultsAsync(r.CorrelationId,
            [(3, ResultCode.ExceedsCredits), (1, ResultCode.DebitAccountNotFound)]);
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        CreateResult[] results = await client.CreateTransfersAsync(
            Enumerable.Range(1, 5).Select(i => TestKit.Transfer((UInt128)i)).ToArray()).Bounded();

        Assert.Equal([ResultCode.Ok, ResultCode.DebitAccountNotFound, ResultCode.Ok, ResultCode.ExceedsCredits, ResultCode.Ok],
            results.Select(r => r.Code));
        Assert.Equal([0, 1, 2, 3, 4], results.Select(r => r.Index));
    }

    [Fact]
    public async Task Whole_command_failure_is_given_to_every_item_never_ok()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) => s.SendCreateResultsAsync(r.CorrelationId, [(0, ResultCode.BatchTooLarge)]);
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        CreateResult[] results = await client.CreateTransfersAsync(new[] { TestKit.Transfer(1), TestKit.Transfer(2), TestKit.Transfer(3) }).Bounded();
        Assert.All(results, r => Assert.Equal(ResultCode.BatchTooLarge, r.Code));
        Assert.Equal(ResultCode.BatchTooLarge, await client.CreateTransferAsync(TestKit.Transfer(4)).Bounded());
    }

    [Fact]
    public async Task Pipelined_requests_answered_out_of_order_are_matched_by_correlation_id()
    {
        const int Requests = 20;
        await using var server = new FakeServer();
        var held = new ConcurrentQueue<(FakeSession, ReceivedRequest)>();
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnRequest = (s, r) =>
        {
            held.Enqueue((s, r));
            if (held.Count == Requests)
            {
                allArrived.TrySetResult();
            }
            return Task.CompletedTask;
        };
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        // Each request carries one transfer whose amount says which code the server will answer.
        var calls = Enumerable.Range(0, Requests)
            .Select(i => client.CreateTransfersAsync(new[] { TestKit.Transfer((UInt128)(i + 1), amount: i + 1) }))
            .ToArray();
        await allArrived.Task.WaitAsync(TestKit.Bound); // all 20 in flight at once: none answered yet

        foreach ((FakeSession s, ReceivedRequest r) in held.Reverse())
        {
            await s.SendCreateResultsAsync(r.CorrelationId, [(0, (ResultCode)(1000 + r.Transfers[0].Amount))]);
        }
        for (int i = 0; i < Requests; i++)
        {
            CreateResult[] result = await calls[i].Bounded();
            Assert.Equal((ResultCode)(1000 + i + 1), result[0].Code);
        }
        Assert.Equal(Requests, held.Select(h => h.Item2.CorrelationId).Distinct().Count());
    }

    [Fact]
    public async Task In_flight_requests_never_exceed_the_negotiated_limit()
    {
        await using var server = new FakeServer { MaxInFlight = 2 };
        var held = new System.Collections.Concurrent.ConcurrentQueue<(FakeSession, ReceivedRequest)>();
        server.OnRequest = (s, r) =>
        {
            held.Enqueue((s, r));
            return Task.CompletedTask;
        };
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        var calls = Enumerable.Range(1, 6).Select(i => client.CreateTransfersAsync(new[] { TestKit.Transfer((UInt128)i) })).ToArray();
        await TestKit.Eventually(() => held.Count == 2, "two requests in flight");
        await Task.Delay(100);
        Assert.Equal(2, held.Count); // the other four wait for a free slot

        int answered = 0;
        while (answered < 6)
        {
            await TestKit.Eventually(() => !held.IsEmpty, "next request");
            held.TryDequeue(out var next);
            await server.DefaultAnswerAsync(next.Item1, next.Item2);
            answered++;
        }
        await Task.WhenAll(calls).WaitAsync(TestKit.Bound);
        Assert.Equal(6, server.Requests.Count);
    }

    [Fact]
    public async Task Concurrent_single_transfers_are_coalesced_and_each_caller_gets_its_own_result()
    {
        const int Callers = 200;
        await using var server = new FakeServer { MaxInFlight = 1 };
        server.OnRequest = async (s, r) =>
        {
            await Task.Delay(20); // a slow ledger: callers pile up while the one slot is busy
            var results = r.Transfers.Select((t, i) => ((uint)i, t.Id % 2 == 0 ? ResultCode.Ok : ResultCode.ExceedsCredits)).ToList();
            await s.SendCreateResultsAsync(r.CorrelationId, results);
        };
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        var calls = Enumerable.Range(1, Callers).Select(i => client.CreateTransferAsync(TestKit.Transfer((UInt128)i))).ToArray();
        ResultCode[] codes = await Task.WhenAll(calls).WaitAsync(TestKit.Bound);

        for (int i = 0; i < Callers; i++)
        {
            Assert.Equal((i + 1) % 2 == 0 ? ResultCode.Ok : ResultCode.ExceedsCredits, codes[i]);
        }
        ReceivedRequest[] messages = server.Requests.ToArray();
        Assert.True(messages.Length <= Callers / 4, $"{Callers} callers took {messages.Length} messages");
        Assert.Equal(Callers, messages.Sum(m => m.Transfers.Length));
        Assert.Equal(Callers, messages.SelectMany(m => m.Transfers).Select(t => t.Id).Distinct().Count());
    }

    [Fact]
    public async Task Coalesced_batches_respect_the_session_batch_size()
    {
        await using var server = new FakeServer { MaxInFlight = 1, MaxBatchSize = 7 };
        server.OnRequest = async (s, r) =>
        {
            await Task.Delay(10);
            await server.DefaultAnswerAsync(s, r);
        };
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        var calls = Enumerable.Range(1, 50).Select(i => client.CreateTransferAsync(TestKit.Transfer((UInt128)i))).ToArray();
        await Task.WhenAll(calls).WaitAsync(TestKit.Bound);

        Assert.All(server.Requests, r => Assert.InRange(r.Transfers.Length, 1, 7));
        Assert.All(calls, c => Assert.Equal(ResultCode.Ok, c.Result));
    }

    [Fact]
    public async Task Queued_requests_are_gathered_into_one_socket_write()
    {
        await using var server = new FakeServer();
        var secondLogon = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnLogon = async (s, id) =>
        {
            if (s.Number == 2)
            {
                secondLogon.TrySetResult();
                await release.Task; // hold the client in "reconnecting" while requests pile up
            }
            await s.SendLogonAckAsync(id, 1000, 64, 1 << 20, 8190);
        };
        server.OnRequest = (s, r) =>
        {
            if (s.Number == 1)
            {
                s.Abort();
                return Task.CompletedTask;
            }
            return server.DefaultAnswerAsync(s, r);
        };
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        var first = client.CreateTransfersAsync(new[] { TestKit.Transfer(1) });
        await secondLogon.Task.WaitAsync(TestKit.Bound);
        (long writesBefore, long framesBefore) = client.RequestWriteStats;
        var queued = Enumerable.Range(2, 30).Select(i => client.CreateTransfersAsync(new[] { TestKit.Transfer((UInt128)i) })).ToArray();
        release.TrySetResult();
        await Task.WhenAll(queued.Append(first)).WaitAsync(TestKit.Bound);

        (long writes, long frames) = client.RequestWriteStats;
        Assert.Equal(31, server.Requests.Count(r => r.ConnectionNumber == 2));
        // The counters of session 1's single write may land after the snapshot: allow for it.
        Assert.InRange(frames - framesBefore, 31, 32);
        Assert.True(writes - writesBefore <= 3, $"31 frames took {writes - writesBefore} socket writes");
    }

    [Fact]
    public async Task Invalid_options_are_refused_before_connecting()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => WalletClient.ConnectAsync(new WalletClientOptions { Port = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            WalletClient.ConnectAsync(new WalletClientOptions { Port = 1, MaxInFlight = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            WalletClient.ConnectAsync(new WalletClientOptions { Port = 1, ReconnectInitialBackoffMs = 100, ReconnectMaxBackoffMs = 10 }));
    }

    [Fact]
    public async Task Oversized_or_empty_batch_is_refused_before_sending()
    {
        await using var server = new FakeServer { MaxBatchSize = 3 };
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        var four = Enumerable.Range(1, 4).Select(i => TestKit.Transfer((UInt128)i)).ToArray();
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = client.CreateTransfersAsync(four); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = client.LookupAccountsAsync(ReadOnlyMemory<UInt128>.Empty); });
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Linked_single_transfer_is_refused_because_it_would_chain_with_a_stranger()
    {
        await using var server = new FakeServer();
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();
        Transfer linked = TestKit.Transfer(1);
        linked.Flags = TransferFlags.Linked;

        Assert.Throws<ArgumentException>(() => { _ = client.CreateTransferAsync(linked); });
    }

    [Fact]
    public async Task Sync_api_blocks_until_the_answer()
    {
        await using var server = new FakeServer();
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        CreateResult[] results = await Task.Run(() => client.CreateTransfers(new[] { TestKit.Transfer(1), TestKit.Transfer(1) }, 5_000))
            .Bounded();
        Assert.Equal([ResultCode.Ok, ResultCode.Exists], results.Select(r => r.Code));
        Assert.Equal(ResultCode.Exists, await Task.Run(() => client.CreateTransfer(TestKit.Transfer(1), 5_000)).Bounded());
    }

    [Fact]
    public async Task Sync_api_times_out()
    {
        await using var server = new FakeServer();
        server.OnRequest = (_, _) => Task.CompletedTask;
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        await Assert.ThrowsAsync<TimeoutException>(() => Task.Run(() => client.CreateTransfers(new[] { TestKit.Transfer(1) }, 100)).Bounded());
    }

    [Fact]
    public async Task Idle_client_sends_heartbeats()
    {
        await using var server = new FakeServer { HeartbeatIntervalMs = 50 };
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        await TestKit.Eventually(() => server.Templates.Count(t => t == HeartbeatDecoder.TemplateId) >= 3, "3 heartbeats");
    }
}
