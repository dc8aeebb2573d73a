using System.Collections.Concurrent;
using System.Diagnostics;
using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client.Tests;

/// <summary>
/// The direct path: on an idle connection a single transfer is written by its caller's thread (one non-blocking send);
/// otherwise it queues for the send loop. Frames never interleave, order is kept for one caller, a partial send is
/// finished by the send loop before anything else, and a failed direct send is an ordinary connection loss.
/// </summary>
public sealed class DirectSendTests
{
    /// <summary>Long enough that no heartbeat of either side falls inside a test (the LogonAck value wins).</summary>
    private const uint QuietHeartbeatMs = 60_000;

    private static async Task<WalletClient> ConnectAsync(FakeServer server, Action<WalletClientOptions>? configure = null)
    {
        WalletClientOptions options = TestKit.Options(server.Port);
        configure?.Invoke(options);
        return await WalletClient.ConnectAsync(options).Bounded();
    }

    private static long ExpectedAmount(long id) => id % 1000 + 1;

    private static ResultCode ExpectedCode(long amount) => amount % 3 == 0 ? ResultCode.ExceedsCredits : ResultCode.Ok;

    /// <summary>Records every transfer once (a duplicate is a test failure) and answers by amount.</summary>
    private static Func<FakeSession, ReceivedRequest, Task> AnswerByAmount(FakeServer server, ConcurrentQueue<UInt128> duplicates) => (s, r) =>
    {
        foreach (Transfer t in r.Transfers)
        {
            if (!server.Transfers.TryAdd(t.Id, t)) duplicates.Enqueue(t.Id);
        }
        return s.SendCreateResultsAsync(r.CorrelationId, r.Transfers.Select((t, i) => ((uint)i, ExpectedCode(t.Amount))).ToList());
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Sequential_single_transfers_on_an_idle_connection_go_out_directly_unless_turned_off(bool directSend)
    {
        await using var server = new FakeServer { HeartbeatIntervalMs = QuietHeartbeatMs };
        await using var client = await ConnectAsync(server, o => o.DirectSend = directSend);
        const int PerApi = 100;
        (long writesBefore, long framesBefore) = client.RequestWriteStats;

        for (int i = 1; i <= PerApi; i++)
        {
            Assert.Equal(ResultCode.Ok, await client.TransferAsync(TestKit.Transfer((UInt128)i)).AsTask().Bounded());
        }
        for (int i = PerApi + 1; i <= 2 * PerApi; i++)
        {
            Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(TestKit.Transfer((UInt128)i)).Bounded());
        }
        for (int i = 2 * PerApi + 1; i <= 3 * PerApi; i++)
        {
            var handler = new RecordingHandler(1);
            Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer((UInt128)i), handler, i));
            await handler.WaitForAsync();
            Assert.Equal(ResultCode.Ok, handler.Codes[i]);
        }

        (long sends, long handOvers) = client.DirectSendStats;
        (long writes, long frames) = client.RequestWriteStats;
        // Each call found the connection idle (the previous one was answered, nothing else writes): all direct, or none.
        Assert.Equal(directSend ? 3 * PerApi : 0, sends);
        Assert.Equal(0, handOvers);
        Assert.Equal(3 * PerApi, writes - writesBefore);
        Assert.Equal(3 * PerApi, frames - framesBefore);
        Assert.Equal(3 * PerApi, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Single(r.Transfers));
        Assert.Equal(0, server.MalformedFrames);
        Assert.Equal(0, client.PendingTransfers);
    }

    [Fact]
    public async Task A_call_whose_token_is_already_cancelled_is_never_sent()
    {
        await using var server = new FakeServer { HeartbeatIntervalMs = QuietHeartbeatMs };
        await using var client = await ConnectAsync(server);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        (long writesBefore, _) = client.RequestWriteStats;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.TransferAsync(TestKit.Transfer(1), cancelled.Token).AsTask().Bounded());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CreateTransferAsync(TestKit.Transfer(2), cancelled.Token).Bounded());
        // The connection stays idle: nothing was written, and the next call goes out (directly) as usual.
        Assert.Equal(ResultCode.Ok, await client.TransferAsync(TestKit.Transfer(3)).AsTask().Bounded());
        Assert.Equal(1, client.RequestWriteStats.Writes - writesBefore);
        Assert.Equal([(UInt128)3], server.Requests.SelectMany(r => r.Transfers).Select(t => t.Id));
        Assert.Equal(0, client.PendingTransfers);
    }

    [Fact]
    public async Task Transfers_that_follow_an_unanswered_one_are_coalesced_not_sent_one_frame_each()
    {
        await using var server = new FakeServer { HeartbeatIntervalMs = QuietHeartbeatMs };
        var firstAnswer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnRequest = (s, r) => r.Transfers[0].Id == 1
            ? AnswerLaterAsync(s, r) // the first transfer stays in flight until released; the gateway reads on
            : server.DefaultAnswerAsync(s, r);
        await using var client = await ConnectAsync(server); // DirectSendMaxInFlight 1 (default)
        var handler = new RecordingHandler(200);

        Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer(1), handler, 1));
        for (int i = 2; i <= 200; i++)
        {
            Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer((UInt128)i), handler, i));
        }
        await TestKit.Eventually(() => server.Requests.Sum(r => r.Transfers.Length) == 200, "every transfer reached the gateway");
        firstAnswer.SetResult();
        await handler.WaitForAsync();

        // Only the first found nothing in flight; the rest queued behind it and the send loop packed them.
        Assert.Equal(1, client.DirectSendStats.Sends);
        Assert.True(server.Requests.Count < 100, $"{server.Requests.Count} frames for 200 transfers");
        Assert.All(handler.Codes.Values, c => Assert.Equal(ResultCode.Ok, c));
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (UInt128)i), server.Requests.SelectMany(r => r.Transfers).Select(t => t.Id));

        Task AnswerLaterAsync(FakeSession session, ReceivedRequest request)
        {
            _ = firstAnswer.Task.ContinueWith(_ => server.DefaultAnswerAsync(session, request), TaskScheduler.Default);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Many_threads_with_batches_never_interleave_frames_and_every_call_completes_once()
    {
        const int Threads = 4;
        const int PerThread = 20_000;
        const int Window = 256;
        await using var server = new FakeServer { HeartbeatIntervalMs = QuietHeartbeatMs };
        var duplicates = new ConcurrentQueue<UInt128>();
        server.OnRequest = AnswerByAmount(server, duplicates);
        await using var client = await ConnectAsync(server, o => o.RequestTimeoutMs = 60_000);

        int total = Threads * PerThread;
        var outcomes = new int[total + 1];       // completions per id: must end at exactly 1
        var wrongCodes = new ConcurrentQueue<long>();
        var batches = new ConcurrentQueue<(long FirstId, Task<CreateResult[]> Task)>();
        var failures = new ConcurrentQueue<Exception>();
        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int thread = t;
            threads[t] = new Thread(() =>
            {
                try
                {
                    if (thread % 2 == 0) RunHandlerCaller(client, thread, PerThread, Window, outcomes, wrongCodes, batches);
                    else RunValueTaskCaller(client, thread, PerThread, Window, outcomes, wrongCodes, batches);
                }
#pragma warning disable CA1031 // reported by the test below
                catch (Exception e)
#pragma warning restore CA1031
                {
                    failures.Enqueue(e);
                }
            }) { IsBackground = true, Name = $"direct-caller-{t}" };
        }
        foreach (Thread thread in threads) thread.Start();
        foreach (Thread thread in threads)
        {
            Assert.True(await Task.Run(() => thread.Join(TimeSpan.FromSeconds(90))), "a caller thread did not finish in time");
        }
        foreach ((long firstId, Task<CreateResult[]> task) in batches)
        {
            CreateResult[] results = await task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(BatchSize, results.Length);
            for (int i = 0; i < BatchSize; i++)
            {
                Assert.Equal(ExpectedCode(ExpectedAmount(firstId + i)), results[i].Code);
            }
        }
        await TestKit.Eventually(() => client.PendingTransfers == 0, "every windowed transfer completed");

        Assert.Empty(failures);
        Assert.Empty(wrongCodes);
        Assert.Empty(duplicates);
        for (int id = 1; id <= total; id++)
        {
            Assert.True(outcomes[id] == 1, $"transfer {id} completed {outcomes[id]} times");
            Assert.Equal(ExpectedAmount(id), server.Transfers[(UInt128)(ulong)id].Amount);
        }
        int batchCount = batches.Count;
        Assert.Equal(total + batchCount * BatchSize, server.Transfers.Count);
        // Every frame parsed, on the one connection: nothing interleaved or cut.
        Assert.Equal(0, server.MalformedFrames);
        Assert.Equal(1, server.Connections);
        Assert.Equal(0, client.ReconnectCount);
        (long sends, _) = client.DirectSendStats;
        Assert.True(sends > 0, "some transfers went out directly");
        Assert.Contains(server.Requests, r => r.TemplateId == CreateTransfersDecoder.TemplateId && r.Transfers.Length > BatchSize);
    }

    private static long IdOf(int thread, int n) => (long)thread * 20_000 + n + 1;

    private static Transfer Numbered(long id) => TestKit.Transfer((UInt128)(ulong)id, ExpectedAmount(id));

    private const int BatchEvery = 1_000;
    private const int BatchSize = 8;

    /// <summary>Every <see cref="BatchEvery"/> transfers a caller also sends a CreateTransfers batch (ids above every single's).</summary>
    private static void MaybeBatch(WalletClient client, int thread, int n, ConcurrentQueue<(long, Task<CreateResult[]>)> batches)
    {
        if (n % BatchEvery != 0) return;
        long first = 1_000_000 + (long)thread * 100_000 + n;
        Transfer[] items = Enumerable.Range(0, BatchSize).Select(i => Numbered(first + i)).ToArray();
        batches.Enqueue((first, client.CreateTransfersAsync(items)));
    }

    private static void RunHandlerCaller(WalletClient client, int thread, int count, int window, int[] outcomes,
        ConcurrentQueue<long> wrongCodes, ConcurrentQueue<(long, Task<CreateResult[]>)> batches)
    {
        using var permits = new SemaphoreSlim(window, window);
        var handler = new CountingHandler(permits, outcomes, wrongCodes);
        for (int n = 0; n < count; n++)
        {
            if (!permits.Wait(TestKit.Bound)) throw new TimeoutException("no completion within the bound");
            long id = IdOf(thread, n);
            TransferSubmitStatus status = client.TrySubmitTransfer(Numbered(id), handler, id);
            if (status != TransferSubmitStatus.Submitted) throw new InvalidOperationException("refused: " + status);
            MaybeBatch(client, thread, n, batches);
        }
        for (int i = 0; i < window; i++)
        {
            if (!permits.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException("drain: no completion within the bound");
        }
    }

    private static void RunValueTaskCaller(WalletClient client, int thread, int count, int window, int[] outcomes,
        ConcurrentQueue<long> wrongCodes, ConcurrentQueue<(long, Task<CreateResult[]>)> batches)
    {
        var ring = new (long Id, Task<ResultCode>? Task)[window];
        for (int n = 0; n < count + window; n++)
        {
            ref (long Id, Task<ResultCode>? Task) slot = ref ring[n % window];
            if (slot.Task is not null)
            {
                if (!slot.Task.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException($"transfer {slot.Id} not completed");
                Interlocked.Increment(ref outcomes[slot.Id]);
                if (slot.Task.Result != ExpectedCode(ExpectedAmount(slot.Id))) wrongCodes.Enqueue(slot.Id);
                slot = default;
            }
            if (n < count)
            {
                long id = IdOf(thread, n);
                slot = (id, client.TransferAsync(Numbered(id)).AsTask());
                MaybeBatch(client, thread, n, batches);
            }
        }
    }

    /// <summary>Counts completions per id and hands the window permit back.</summary>
    private sealed class CountingHandler(SemaphoreSlim permits, int[] outcomes, ConcurrentQueue<long> wrongCodes) : ITransferResultHandler
    {
        public void OnTransferCompleted(long userToken, ResultCode code)
        {
            Interlocked.Increment(ref outcomes[userToken]);
            if (code != ExpectedCode(ExpectedAmount(userToken))) wrongCodes.Enqueue(userToken);
            permits.Release();
        }

        public void OnTransferFailed(long userToken, Exception error)
        {
            Interlocked.Increment(ref outcomes[userToken]);
            wrongCodes.Enqueue(userToken);
            permits.Release();
        }
    }

    [Fact]
    public async Task A_partial_direct_send_is_finished_by_the_send_loop_before_the_next_frame_and_order_is_kept()
    {
        const int Count = 5_000; // ≈ 850 KB of frames: far more than the shrunken socket buffers hold
        await using var server = new FakeServer(receiveBufferBytes: 4096) { HeartbeatIntervalMs = QuietHeartbeatMs, MaxInFlight = 8192 };
        // The gateway reads the Logon, then stops reading until released: the sockets' buffers fill up.
        var reads = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.BeforeFrame = frame => frame >= 1 ? reads.Task : Task.CompletedTask;
        await using var client = await ConnectAsync(server, o =>
        {
            o.SocketSendBufferBytes = 4096;
            o.MaxInFlight = 8192;
            o.DirectSendMaxInFlight = 8192; // unanswered transfers must not stop the direct path before the socket is full
        });
        var handler = new RecordingHandler(Count);

        for (int i = 1; i <= Count; i++)
        {
            Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer((UInt128)i), handler, i));
        }
        (long sends, long handOvers) = client.DirectSendStats;
        Assert.True(sends > 0, "the first transfers went out directly");
        Assert.True(handOvers >= 1, $"a direct send was cut short by the full socket ({sends} direct sends)");
        Assert.True(sends < Count, "once the send loop owned the writer, callers queued");

        reads.SetResult();
        await handler.WaitForAsync();

        Assert.Empty(handler.Errors);
        Assert.Empty(handler.Repeats);
        Assert.All(handler.Codes.Values, c => Assert.Equal(ResultCode.Ok, c));
        Assert.Equal(0, server.MalformedFrames);
        Assert.Equal(1, server.Connections);
        Assert.Equal(0, client.ReconnectCount);
        // One caller: the ids reach the gateway in submission order (direct frames, the handed-over tail, then the queue).
        UInt128[] onTheWire = server.Requests.SelectMany(r => r.Transfers).Select(t => t.Id).ToArray();
        Assert.Equal(Enumerable.Range(1, Count).Select(i => (UInt128)i), onTheWire);
        Assert.Contains(server.Requests, r => r.Transfers.Length > 1); // the queued ones were coalesced
    }

    [Fact]
    public async Task Order_is_kept_for_a_single_caller_across_direct_and_queued_sends()
    {
        const int Count = 5_000;
        await using var server = new FakeServer { HeartbeatIntervalMs = QuietHeartbeatMs };
        await using var client = await ConnectAsync(server);
        var handler = new RecordingHandler(Count);

        for (int i = 1; i <= Count; i++)
        {
            Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer((UInt128)i), handler, i));
            if (i % 500 == 0)
            {
                await handler.WaitUntilAsync(i); // let the connection go idle now and then: the next one goes direct
            }
        }
        await handler.WaitForAsync();

        Assert.Empty(handler.Errors);
        Assert.True(client.DirectSendStats.Sends >= Count / 500, "each idle moment sent directly");
        UInt128[] onTheWire = server.Requests.SelectMany(r => r.Transfers).Select(t => t.Id).ToArray();
        Assert.Equal(Enumerable.Range(1, Count).Select(i => (UInt128)i), onTheWire);
        Assert.Equal(0, server.MalformedFrames);
    }

    [Fact]
    public async Task A_failed_direct_send_is_a_connection_loss_and_the_transfer_is_resubmitted()
    {
        await using var server = new FakeServer { HeartbeatIntervalMs = QuietHeartbeatMs };
        // The first session reads Logon and one request, then stops reading: it does not see our FIN and close first,
        // so the client's next send is what fails.
        var reads = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.BeforeFrame = frame => frame >= 2 ? reads.Task : Task.CompletedTask;
        await using var client = await ConnectAsync(server);
        Assert.Equal(ResultCode.Ok, await client.TransferAsync(TestKit.Transfer(1)).AsTask().Bounded()); // the session works
        client.ShutdownSendForTest();
        var handler = new RecordingHandler(1);

        // Never throws into the caller: the transfer is in flight, the loss is handled like a send-loop failure.
        Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer(2), handler, 2));
        Assert.Equal(2, client.DirectSendStats.Sends);
        reads.SetResult();
        await handler.WaitForAsync();

        Assert.Equal(ResultCode.Ok, handler.Codes[2]);
        Assert.Equal(1, client.ReconnectCount);
        Assert.True(server.Transfers.ContainsKey(2));
        Assert.Contains(server.Requests, r => r.ConnectionNumber == 2 && r.Transfers.Any(t => t.Id == 2));
        Assert.Equal(0, client.PendingTransfers);
    }

    [Fact]
    public async Task Dispose_after_direct_sends_ends_the_stream_with_logout()
    {
        await using var server = new FakeServer { HeartbeatIntervalMs = QuietHeartbeatMs };
        WalletClient client = await ConnectAsync(server);
        for (int i = 1; i <= 10; i++)
        {
            Assert.Equal(ResultCode.Ok, await client.TransferAsync(TestKit.Transfer((UInt128)i)).AsTask().Bounded());
        }
        Assert.Equal(10, client.DirectSendStats.Sends);

        await client.DisposeAsync().AsTask().WaitAsync(TestKit.Bound);
        await TestKit.Eventually(() => server.Templates.Contains(LogoutDecoder.TemplateId), "Logout sent on dispose");

        // The send loop took the writer back for the Logout, and nothing followed it.
        Assert.Equal(LogoutDecoder.TemplateId, server.Templates.Last());
        Assert.Equal(0, server.MalformedFrames);
        Assert.Equal(TransferSubmitStatus.Disposed, client.TrySubmitTransfer(TestKit.Transfer(11), new RecordingHandler(1), 11));
    }

    [Fact]
    public async Task Direct_sends_count_for_the_heartbeat_clock()
    {
        const int IntervalMs = 100;
        await using var server = new FakeServer { HeartbeatIntervalMs = IntervalMs };
        await using var client = await ConnectAsync(server);
        int heartbeatsBefore = server.Templates.Count(t => t == HeartbeatDecoder.TemplateId);
        var clock = Stopwatch.StartNew();
        for (int i = 1; i <= 60; i++)
        {
            Assert.Equal(ResultCode.Ok, await client.TransferAsync(TestKit.Transfer((UInt128)i)).AsTask().Bounded());
            await Task.Delay(IntervalMs / 10);
        }
        long elapsedMs = clock.ElapsedMilliseconds;
        int heartbeats = server.Templates.Count(t => t == HeartbeatDecoder.TemplateId) - heartbeatsBefore;

        Assert.True(client.DirectSendStats.Sends >= 50, "the transfers went out directly");
        // Without the direct sends on the clock the send loop would add one heartbeat per interval (elapsed / 100 ms).
        Assert.True(heartbeats <= elapsedMs / IntervalMs / 2, $"{heartbeats} heartbeats in {elapsedMs} ms of direct traffic");
    }
}
