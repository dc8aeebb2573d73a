using Wallet.Engine.Journal;
using Wallet.Fix.Tests.Support;
using Wallet.Gateway.Fix;

namespace Wallet.Fix.Tests;

/// <summary>
/// Fix:Fsync as a partner sees it: under batch the store is synced before the session writes to its socket (admin
/// messages included), a failing sync keeps the bytes off the wire, and none issues no sync at all.
/// </summary>
public sealed class StoreSyncSessionTests : IDisposable
{
    private readonly TempDirectory _dir = new("fix-store-sync");

    public void Dispose() => _dir.Dispose();

    [Fact(Timeout = 30_000)]
    public async Task Under_batch_every_answer_leaves_after_a_sync_that_covers_its_number()
    {
        await using FixFixture f = await FixFixture.StartAsync(_dir.Path, FixFixture.WithFsync(FsyncPolicy.Batch));
        FixSessionStore store = f.Fix.StoreOf(f.Partner);
        // At each sync: the highest number taken so far. Every message received must carry a number at or below
        // the value recorded by some sync that happened before it was received.
        var syncedUpTo = new List<int>();
        store.SyncObserver = path =>
        {
            if (path.EndsWith(".seqnums", StringComparison.Ordinal)) lock (syncedUpTo) syncedUpTo.Add(store.NextSenderSeq - 1);
        };
        await using RawFixClient c = await f.LogonAsync();
        AssertCovered(1);
        for (int i = 0; i < 5; i++)
        {
            c.Send("1", $"112=probe-{i}|");
            FixReply heartbeat = await c.ReceiveTypeAsync("0");
            Assert.Equal($"probe-{i}", heartbeat[112]);
            AssertCovered(heartbeat.Seq);
        }

        void AssertCovered(int seq)
        {
            lock (syncedUpTo) Assert.Contains(syncedUpTo, s => s >= seq);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Under_batch_the_pre_send_sync_runs_on_the_sessions_sync_thread_not_a_pool_worker()
    {
        await using FixFixture f = await FixFixture.StartAsync(_dir.Path, FixFixture.WithFsync(FsyncPolicy.Batch));
        FixSessionStore store = f.Fix.StoreOf(f.Partner);
        var threads = new List<(string? Name, bool Pool)>();
        store.SyncObserver = path =>
        {
            if (path.EndsWith(".seqnums", StringComparison.Ordinal)) lock (threads) threads.Add((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));
        };
        await using RawFixClient c = await f.LogonAsync();
        for (int i = 0; i < 3; i++)
        {
            c.Send("1", $"112=t-{i}|");
            await c.ReceiveTypeAsync("0");
        }
        lock (threads)
        {
            Assert.NotEmpty(threads);
            // Every pre-send sync blocked the session's own thread: an fdatasync must not hold a pool worker for ms.
            Assert.All(threads, t =>
            {
                Assert.False(t.Pool);
                Assert.StartsWith("fix-sync-", t.Name, StringComparison.Ordinal);
            });
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Under_batch_a_failing_sync_keeps_the_message_off_the_wire_and_drops_the_connection()
    {
        await using FixFixture f = await FixFixture.StartAsync(_dir.Path, FixFixture.WithFsync(FsyncPolicy.Batch));
        FixSessionStore store = f.Fix.StoreOf(f.Partner);
        await using RawFixClient c = await f.LogonAsync();
        store.SyncObserver = _ => throw new IOException("simulated EIO");
        c.Send("1", "112=never-answered|");
        var received = new List<FixReply>();
        bool closed = false;
        try
        {
            while (true) received.Add(await c.ReceiveAsync(10_000));
        }
        catch (EndOfStreamException) { closed = true; }
        catch (System.Net.Sockets.SocketException) { closed = true; }
        Assert.True(closed, "the session is dropped");
        Assert.DoesNotContain(received, r => r.MsgType == "0" && r[112] == "never-answered");
        Assert.True(store.NextSenderSeq > 2, "the Heartbeat took its number, but it was never sent");
    }

    [Fact(Timeout = 30_000)]
    public async Task Under_none_the_store_is_never_synced()
    {
        await using FixFixture f = await FixFixture.StartAsync(_dir.Path, FixFixture.WithFsync(FsyncPolicy.None));
        FixSessionStore store = f.Fix.StoreOf(f.Partner);
        await using RawFixClient c = await f.LogonAsync();
        c.Send("1", "112=p|");
        await c.ReceiveTypeAsync("0");
        Assert.Equal(0, store.SyncCount);
    }
}
