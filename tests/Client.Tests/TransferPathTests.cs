using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client.Tests;

/// <summary>
/// TransferAsync (pooled ValueTask) and TrySubmitTransfer (handler) behave like CreateTransferAsync: same codes, same
/// exceptions for timeout, cancellation, Busy, connection loss and disposal; a full window is refused at once; a
/// misused ValueTask throws instead of reading another call's outcome.
/// </summary>
public sealed class TransferPathTests
{
    private static async Task<WalletClient> ConnectAsync(FakeServer server, Action<WalletClientOptions>? configure = null)
    {
        WalletClientOptions options = TestKit.Options(server.Port);
        configure?.Invoke(options);
        return await WalletClient.ConnectAsync(options).Bounded();
    }

    [Fact]
    public async Task Single_transfers_answered_PartitionUnavailable_are_sent_again_and_the_caller_sees_their_outcome()
    {
        // A multi-partition gateway split a coalesced message and one partition's ring was full: those items were not
        // applied (ResultCode.PartitionUnavailable). The SDK sends them again; the caller only ever sees the real outcome.
        await using var server = new FakeServer();
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<UInt128, int>();
        server.OnRequest = (s, r) =>
        {
            var results = new List<(uint, ResultCode)>();
            for (int i = 0; i < r.Transfers.Length; i++)
            {
                int copy = seen.AddOrUpdate(r.Transfers[i].Id, 1, (_, n) => n + 1);
                // Even ids: refused twice by their "partition", then applied.
                results.Add(((uint)i, r.Transfers[i].Id % 2 == 0 && copy <= 2 ? ResultCode.PartitionUnavailable : ResultCode.Ok));
            }
            return s.SendCreateResultsAsync(r.CorrelationId, results);
        };
        await using var client = await ConnectAsync(server);
        var handler = new RecordingHandler(20);
        for (int i = 1; i <= 20; i++) Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer((UInt128)i), handler, userToken: i));
        ResultCode[] viaTasks = await Task.WhenAll(Enumerable.Range(21, 20).Select(i => client.TransferAsync(TestKit.Transfer((UInt128)i)).AsTask()))
            .WaitAsync(TestKit.Bound);
        await handler.WaitForAsync();
        Assert.All(viaTasks, c => Assert.Equal(ResultCode.Ok, c));
        for (int i = 1; i <= 20; i++) Assert.Equal(ResultCode.Ok, handler.Codes[i]);
        for (int i = 1; i <= 40; i++) Assert.Equal(i % 2 == 0 ? 3 : 1, seen[(UInt128)i]);
        Assert.Equal(0, client.PendingTransfers);
    }

    [Fact]
    public async Task Batch_items_answered_PartitionUnavailable_are_sent_again_alone_and_in_order()
    {
        // A batch split by a multi-partition gateway where one partition's ring was full: the SDK sends just those items
        // again (same ids, same order, a linked chain kept whole) and the caller gets one array of real outcomes.
        await using var server = new FakeServer();
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<UInt128, int>();
        var sizes = new System.Collections.Concurrent.ConcurrentQueue<UInt128[]>();
        server.OnRequest = (s, r) =>
        {
            sizes.Enqueue(r.Transfers.Select(t => t.Id).ToArray());
            var results = new List<(uint, ResultCode)>();
            for (int i = 0; i < r.Transfers.Length; i++)
            {
                int copy = seen.AddOrUpdate(r.Transfers[i].Id, 1, (_, n) => n + 1);
                // Ids 11..13 (a linked chain) and every id divisible by 4: refused twice by their "partition", then applied.
                UInt128 id = r.Transfers[i].Id;
                bool refused = ((id >= 11 && id <= 13) || id % 4 == 0) && copy <= 2;
                results.Add(((uint)i, refused ? ResultCode.PartitionUnavailable : r.Transfers[i].Amount == 7 ? ResultCode.ExceedsCredits : ResultCode.Ok));
            }
            return s.SendCreateResultsAsync(r.CorrelationId, results);
        };
        await using var client = await ConnectAsync(server);
        Transfer[] batch = Enumerable.Range(1, 40).Select(i => TestKit.Transfer((UInt128)i, amount: i == 9 || i == 12 ? 7 : 100)).ToArray();
        batch[10].Flags = TransferFlags.Linked; // 11 → 12 → 13
        batch[11].Flags = TransferFlags.Linked;

        CreateResult[] results = await client.CreateTransfersAsync(batch).WaitAsync(TestKit.Bound);

        Assert.Equal(40, results.Length);
        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(i, results[i].Index);
            Assert.Equal(i == 8 || i == 11 ? ResultCode.ExceedsCredits : ResultCode.Ok, results[i].Code);
        }
        UInt128[] resent = [4, 8, 11, 12, 13, 16, 20, 24, 28, 32, 36, 40];
        UInt128[][] sends = sizes.ToArray();
        Assert.Equal(3, sends.Length);
        Assert.Equal(40, sends[0].Length);
        Assert.Equal(resent, sends[1]);
        Assert.Equal(resent, sends[2]);
        Assert.All(server.Requests.Skip(1), r =>
        {
            int at = Array.IndexOf(r.Transfers.Select(t => t.Id).ToArray(), (UInt128)11);
            Assert.Equal(TransferFlags.Linked, r.Transfers[at].Flags);
            Assert.Equal(TransferFlags.Linked, r.Transfers[at + 1].Flags);
            Assert.Equal(TransferFlags.None, r.Transfers[at + 2].Flags);
        });
        for (int i = 1; i <= 40; i++) Assert.Equal(Array.IndexOf(resent, (UInt128)i) >= 0 ? 3 : 1, seen[(UInt128)i]);
    }

    [Fact]
    public async Task Account_batch_items_answered_PartitionUnavailable_are_sent_again_too()
    {
        await using var server = new FakeServer();
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<UInt128, int>();
        server.OnRequest = (s, r) => s.SendCreateResultsAsync(r.CorrelationId, r.Accounts.Select((a, i) =>
            ((uint)i, seen.AddOrUpdate(a.Id, 1, (_, n) => n + 1) == 1 && a.Id % 3 == 0 ? ResultCode.PartitionUnavailable : ResultCode.Ok)).ToList());
        await using var client = await ConnectAsync(server);
        Account[] batch = Enumerable.Range(1, 12).Select(i => new Account { Id = (UInt128)i, Ledger = 1, Code = 1 }).ToArray();

        CreateResult[] results = await client.CreateAccountsAsync(batch).WaitAsync(TestKit.Bound);

        Assert.All(results, r => Assert.Equal(ResultCode.Ok, r.Code));
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(new UInt128[] { 3, 6, 9, 12 }, server.Requests.Last().Accounts.Select(a => a.Id).ToArray());
    }

    [Fact]
    public async Task A_partition_that_stays_unavailable_is_reported_after_a_bounded_number_of_resends()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) => s.SendCreateResultsAsync(r.CorrelationId,
            r.Transfers.Select((t, i) => ((uint)i, t.Id % 2 == 0 ? ResultCode.PartitionUnavailable : ResultCode.Ok)).ToList());
        await using var client = await ConnectAsync(server);
        Transfer[] batch = Enumerable.Range(1, 10).Select(i => TestKit.Transfer((UInt128)i)).ToArray();

        CreateResult[] results = await client.CreateTransfersAsync(batch).WaitAsync(TestKit.Bound);

        for (int i = 0; i < 10; i++) Assert.Equal((i + 1) % 2 == 0 ? ResultCode.PartitionUnavailable : ResultCode.Ok, results[i].Code);
        Assert.Equal(1 + CreateBatchRequest<Transfer>.MaxUnavailableResends, server.Requests.Count);
        Assert.All(server.Requests.Skip(1), r => Assert.Equal(5, r.Transfers.Length));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Results_match_the_Task_API(bool completionsOnReceiveThread)
    {
        await using var server = new FakeServer();
        await using var client = await ConnectAsync(server, o => o.CompletionsOnReceiveThread = completionsOnReceiveThread);

        // Fresh ids: Ok on every API; repeats of applied ids: Exists on every API.
        var fresh = await Task.WhenAll(Enumerable.Range(1, 50).Select(i => client.TransferAsync(TestKit.Transfer((UInt128)i)).AsTask()))
            .WaitAsync(TestKit.Bound);
        Assert.All(fresh, c => Assert.Equal(ResultCode.Ok, c));
        var viaTask = await Task.WhenAll(Enumerable.Range(1, 50).Select(i => client.CreateTransferAsync(TestKit.Transfer((UInt128)i))))
            .WaitAsync(TestKit.Bound);
        var viaValueTask = await Task.WhenAll(Enumerable.Range(1, 50).Select(i => client.TransferAsync(TestKit.Transfer((UInt128)i)).AsTask()))
            .WaitAsync(TestKit.Bound);
        var handler = new RecordingHandler(100);
        for (int i = 1; i <= 100; i++)
        {
            Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer((UInt128)i), handler, userToken: i));
        }
        await handler.WaitForAsync();

        Assert.All(viaTask, c => Assert.Equal(ResultCode.Exists, c));
        Assert.Equal(viaTask, viaValueTask);
        for (int i = 1; i <= 100; i++)
        {
            Assert.Equal(i <= 50 ? ResultCode.Exists : ResultCode.Ok, handler.Codes[i]);
        }
        Assert.Empty(handler.Repeats);
        Assert.Empty(handler.Errors);
        Assert.Equal(0, client.PendingTransfers);
        Assert.Equal(100, server.Transfers.Count); // 100 distinct ids applied once, 50 of them offered twice more
    }

    [Fact]
    public async Task Each_caller_gets_its_own_items_code_from_a_coalesced_batch()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) => s.SendCreateResultsAsync(r.CorrelationId,
            r.Transfers.Select((t, i) => ((uint)i, t.Amount % 3 == 0 ? ResultCode.ExceedsCredits : ResultCode.Ok)).ToList());
        await using var client = await ConnectAsync(server);

        var calls = Enumerable.Range(1, 300).Select(i => client.TransferAsync(TestKit.Transfer((UInt128)i, amount: i)).AsTask()).ToArray();
        ResultCode[] codes = await Task.WhenAll(calls).WaitAsync(TestKit.Bound);

        for (int i = 1; i <= 300; i++)
        {
            Assert.Equal(i % 3 == 0 ? ResultCode.ExceedsCredits : ResultCode.Ok, codes[i - 1]);
        }
        Assert.True(server.Requests.Count < 300, "concurrent calls were coalesced");
    }

    [Fact]
    public async Task Large_coalesced_batches_are_pooled_apart_and_reused_with_correct_codes()
    {
        await using var server = new FakeServer { MaxInFlight = 1 }; // one slot: a backlog makes the batches large
        server.OnRequest = (s, r) => s.SendCreateResultsAsync(r.CorrelationId,
            r.Transfers.Select((t, i) => ((uint)i, t.Amount % 2 == 0 ? ResultCode.ExceedsCredits : ResultCode.Ok)).ToList());
        await using var client = await ConnectAsync(server);

        for (int round = 0; round < 3; round++)
        {
            var handler = new RecordingHandler(3000);
            for (int i = 0; i < 3000; i++)
            {
                long id = round * 10_000 + i + 1;
                Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer((UInt128)(ulong)id, amount: id), handler, id));
            }
            await handler.WaitForAsync();
            Assert.Empty(handler.Repeats);
            Assert.All(handler.Codes, kv => Assert.Equal(kv.Key % 2 == 0 ? ResultCode.ExceedsCredits : ResultCode.Ok, kv.Value));
        }
        Assert.Contains(server.Requests, r => r.Transfers.Length > 1024);
        Assert.Equal(0, client.PendingTransfers);
    }

    [Fact]
    public async Task Unanswered_transfer_times_out_on_both_paths_and_frees_the_window()
    {
        await using var server = new FakeServer();
        server.OnRequest = (_, _) => Task.CompletedTask;
        await using var client = await ConnectAsync(server, o => o.RequestTimeoutMs = 150);
        var handler = new RecordingHandler(1);

        ValueTask<ResultCode> call = client.TransferAsync(TestKit.Transfer(1));
        Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer(2), handler, 7));

        await Assert.ThrowsAsync<TimeoutException>(() => call.AsTask().Bounded());
        await handler.WaitForAsync();
        Assert.IsType<TimeoutException>(handler.Errors[7]);
        Assert.Equal(0, client.PendingTransfers);
    }

    [Fact]
    public async Task Cancellation_completes_the_call_as_cancelled_and_a_late_answer_is_ignored()
    {
        await using var server = new FakeServer();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnRequest = async (s, r) =>
        {
            await release.Task;
            await server.DefaultAnswerAsync(s, r);
        };
        await using var client = await ConnectAsync(server);
        using var cts = new CancellationTokenSource();

        ValueTask<ResultCode> call = client.TransferAsync(TestKit.Transfer(1), cts.Token);
        await TestKit.Eventually(() => server.Requests.Count == 1, "transfer sent");
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.AsTask().Bounded());
        Assert.Equal(0, client.PendingTransfers);
        // The cancelled call's completion object is reused at once; the late answer to its batch must not touch it.
        ValueTask<ResultCode> next = client.TransferAsync(TestKit.Transfer(2));
        release.TrySetResult();
        Assert.Equal(ResultCode.Ok, await next.AsTask().Bounded());

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.TransferAsync(TestKit.Transfer(3), cancelled.Token).AsTask().Bounded());
    }

    [Fact]
    public async Task Busy_is_retried_and_beyond_the_limit_fails_with_WalletBusyException()
    {
        await using var server = new FakeServer();
        int seen = 0;
        server.OnRequest = (s, r) => Interlocked.Increment(ref seen) <= 2
            ? s.SendBusyAsync(r.CorrelationId, retryAfterMs: 5)
            : server.DefaultAnswerAsync(s, r);
        await using var client = await ConnectAsync(server, o => o.BusyRetryLimit = 2);

        Assert.Equal(ResultCode.Ok, await client.TransferAsync(TestKit.Transfer(1)).AsTask().Bounded());
        Assert.Equal(3, server.Requests.Count);

        server.OnRequest = (s, r) => s.SendBusyAsync(r.CorrelationId, retryAfterMs: 5);
        var handler = new RecordingHandler(1);
        Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer(2), handler, 1));
        await handler.WaitForAsync();
        Assert.Equal(3, Assert.IsType<WalletBusyException>(handler.Errors[1]).Attempts);
    }

    [Fact]
    public async Task Dropped_connection_resubmits_and_applied_items_report_ok()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) =>
        {
            if (s.Number == 1)
            {
                server.Apply(r); // applied, answer lost
                s.Abort();
                return Task.CompletedTask;
            }
            return server.DefaultAnswerAsync(s, r);
        };
        await using var client = await ConnectAsync(server);
        var handler = new RecordingHandler(10);

        var calls = Enumerable.Range(1, 10).Select(i => client.TransferAsync(TestKit.Transfer((UInt128)i)).AsTask()).ToArray();
        for (int i = 11; i <= 20; i++)
        {
            client.TrySubmitTransfer(TestKit.Transfer((UInt128)i), handler, i);
        }

        Assert.All(await Task.WhenAll(calls).WaitAsync(TestKit.Bound), c => Assert.Equal(ResultCode.Ok, c));
        await handler.WaitForAsync();
        Assert.All(handler.Codes.Values, c => Assert.Equal(ResultCode.Ok, c));
        Assert.Equal(20, server.Transfers.Count);
        Assert.True(client.ReconnectCount >= 1);
    }

    [Fact]
    public async Task Redirect_is_followed_by_a_pooled_transfer()
    {
        await using var leader = new FakeServer();
        await using var follower = new FakeServer();
        follower.OnRequest = (s, r) => s.SendRedirectAsync(r.CorrelationId, "127.0.0.1", leader.Port, term: 3);
        await using var client = await ConnectAsync(follower);

        Assert.Equal(ResultCode.Ok, await client.TransferAsync(TestKit.Transfer(41)).AsTask().Bounded());
        Assert.Equal(leader.Port, client.Endpoint.Port);
        Assert.Equal((UInt128)41, leader.Requests.Single().Transfers[0].Id);
    }

    [Fact]
    public async Task Lost_gateway_fails_every_pending_call_with_WalletConnectionException()
    {
        var server = new FakeServer();
        server.OnRequest = (_, _) => Task.CompletedTask;
        await using var client = await ConnectAsync(server, o => o.ReconnectAttempts = 2);
        var handler = new RecordingHandler(5);
        var calls = Enumerable.Range(1, 5).Select(i => client.TransferAsync(TestKit.Transfer((UInt128)i)).AsTask()).ToArray();
        for (int i = 0; i < 5; i++)
        {
            client.TrySubmitTransfer(TestKit.Transfer((UInt128)(100 + i)), handler, i);
        }
        await TestKit.Eventually(() => server.Requests.Sum(r => r.Transfers.Length) == 10, "all sent");

        await server.DisposeAsync();

        foreach (Task<ResultCode> call in calls)
        {
            await Assert.ThrowsAsync<WalletConnectionException>(() => call.Bounded());
        }
        await handler.WaitForAsync();
        Assert.All(handler.Errors.Values, e => Assert.IsType<WalletConnectionException>(e));
        Assert.Equal(TransferSubmitStatus.ConnectionFailed, client.TrySubmitTransfer(TestKit.Transfer(9), handler, 9));
        await Assert.ThrowsAsync<WalletConnectionException>(() => client.TransferAsync(TestKit.Transfer(9)).AsTask().Bounded());
        Assert.Equal(0, client.PendingTransfers);
    }

    [Fact]
    public async Task Full_window_is_refused_at_once_and_reopens_as_calls_complete()
    {
        await using var server = new FakeServer();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnRequest = async (s, r) =>
        {
            await release.Task;
            await server.DefaultAnswerAsync(s, r);
        };
        await using var client = await ConnectAsync(server, o => o.MaxPendingTransfers = 4);
        var handler = new RecordingHandler(2);

        var calls = new[] { client.TransferAsync(TestKit.Transfer(1)).AsTask(), client.TransferAsync(TestKit.Transfer(2)).AsTask() };
        Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer(3), handler, 3));
        Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer(4), handler, 4));
        Assert.Equal(4, client.PendingTransfers);

        Assert.Equal(TransferSubmitStatus.WindowFull, client.TrySubmitTransfer(TestKit.Transfer(5), handler, 5));
        ValueTask<ResultCode> refused = client.TransferAsync(TestKit.Transfer(5));
        Assert.True(refused.IsFaulted);
        await Assert.ThrowsAsync<WalletQueueFullException>(() => refused.AsTask());
        // The Task API is not part of the window (it has its own queue bound).
        Task<ResultCode> viaTask = client.CreateTransferAsync(TestKit.Transfer(6));

        release.TrySetResult();
        Assert.All(await Task.WhenAll(calls).WaitAsync(TestKit.Bound), c => Assert.Equal(ResultCode.Ok, c));
        await handler.WaitForAsync();
        Assert.Equal(ResultCode.Ok, await viaTask.Bounded());
        Assert.Equal(0, client.PendingTransfers);
        Assert.Equal(ResultCode.Ok, await client.TransferAsync(TestKit.Transfer(5)).AsTask().Bounded());
    }

    [Fact]
    public async Task Full_single_transfer_queue_is_a_precise_status()
    {
        await using var server = new FakeServer();
        server.OnRequest = (_, _) => Task.CompletedTask;
        server.MaxInFlight = 1;
        await using var client = await ConnectAsync(server, o =>
        {
            o.MaxQueuedSingleTransfers = 2;
            o.RequestTimeoutMs = 60_000;
        });
        _ = client.TransferAsync(TestKit.Transfer(1)); // takes the only in-flight slot
        await TestKit.Eventually(() => server.Requests.Count == 1, "first sent");
        var handler = new RecordingHandler(1);
        Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer(2), handler, 2));
        Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer(3), handler, 3));
        Assert.Equal(TransferSubmitStatus.QueueFull, client.TrySubmitTransfer(TestKit.Transfer(4), handler, 4));
        await Assert.ThrowsAsync<WalletQueueFullException>(() => client.TransferAsync(TestKit.Transfer(4)).AsTask());
    }

    [Fact]
    public async Task A_ValueTask_awaited_twice_throws_and_does_not_disturb_the_next_call()
    {
        await using var server = new FakeServer();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnRequest = async (s, r) =>
        {
            if (r.Transfers[0].Id == 2) await release.Task;
            await server.DefaultAnswerAsync(s, r);
        };
        await using var client = await ConnectAsync(server, o => o.MaxPendingTransfers = 1); // one pooled object, reused

        ValueTask<ResultCode> first = client.TransferAsync(TestKit.Transfer(1));
        Assert.Equal(ResultCode.Ok, await first);
        ValueTask<ResultCode> second = client.TransferAsync(TestKit.Transfer(2)); // the same completion object
        Assert.False(second.IsCompleted);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await first);
        Assert.Throws<InvalidOperationException>(() => first.GetAwaiter().GetResult());
        // Reading the pending one synchronously is refused too, without recycling it.
        Assert.Throws<InvalidOperationException>(() => second.GetAwaiter().GetResult());

        release.TrySetResult();
        Assert.Equal(ResultCode.Ok, await second.AsTask().Bounded());
        Assert.Equal(ResultCode.Exists, await client.TransferAsync(TestKit.Transfer(1)).AsTask().Bounded());
    }

    [Fact]
    public async Task Handlers_run_on_the_receive_loop_and_a_throwing_handler_is_counted_not_fatal()
    {
        await using var server = new FakeServer();
        var reported = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        // The application's callback sees the exception (to log it); one that throws itself changes nothing.
        await using var client = await ConnectAsync(server, o => o.OnHandlerFault = e =>
        {
            reported.Enqueue(e);
            throw new InvalidOperationException("a logging sink that fails");
        });
        var thrower = new ThrowingHandler();
        var handler = new RecordingHandler(20);

        Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer(1), thrower, 1));
        await TestKit.Eventually(() => client.HandlerFaultCount == 1, "handler fault counted");
        Assert.Same(client.LastHandlerFault, Assert.Single(reported));
        for (int i = 0; i < 20; i++)
        {
            client.TrySubmitTransfer(TestKit.Transfer((UInt128)(10 + i)), handler, i);
        }
        await handler.WaitForAsync();

        Assert.IsType<InvalidOperationException>(client.LastHandlerFault);
        Assert.Equal(0, client.ReconnectCount);
        Assert.Equal(0, client.PendingTransfers);
    }

    [Fact]
    public async Task Linked_transfer_is_refused_and_disposal_fails_pending_calls()
    {
        await using var server = new FakeServer();
        server.OnRequest = (_, _) => Task.CompletedTask;
        var client = await ConnectAsync(server);
        var handler = new RecordingHandler(1);
        Transfer linked = TestKit.Transfer(1) with { Flags = TransferFlags.Linked };
        Assert.Throws<ArgumentException>(() => client.TransferAsync(linked));
        Assert.Throws<ArgumentException>(() => client.TrySubmitTransfer(linked, handler, 1));

        ValueTask<ResultCode> pending = client.TransferAsync(TestKit.Transfer(2));
        client.TrySubmitTransfer(TestKit.Transfer(3), handler, 3);
        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.AsTask().Bounded());
        await handler.WaitForAsync();
        Assert.IsType<ObjectDisposedException>(handler.Errors[3]);
        Assert.Equal(TransferSubmitStatus.Disposed, client.TrySubmitTransfer(TestKit.Transfer(4), handler, 4));
    }

    private sealed class ThrowingHandler : ITransferResultHandler
    {
        public void OnTransferCompleted(long userToken, ResultCode code) => throw new InvalidOperationException("handler bug");
        public void OnTransferFailed(long userToken, Exception error) => throw new InvalidOperationException("handler bug");
    }
}
