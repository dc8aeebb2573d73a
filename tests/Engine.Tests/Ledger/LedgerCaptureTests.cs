using Wallet.Engine.Ledger;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.Ledger;

/// <summary>
/// The copy-on-write snapshot capture under real concurrency: the writer thread copies while this thread (the BLP)
/// keeps applying commands that change captured accounts and slots, reuse freed slots, grow both arrays and evict
/// holds from the window. The capture must still be byte-identical to a full copy taken at its point.
/// </summary>
public sealed class LedgerCaptureTests
{
    private const int Accounts = 3000;

    [Theory]
    [InlineData(1, 0, false)]
    [InlineData(2, 2, false)]
    [InlineData(3, 4, false)]
    [InlineData(4, 8, false)]
    [InlineData(5, 0, true)]
    [InlineData(6, 4, true)]
    public void A_capture_copied_concurrently_with_live_writes_equals_a_full_copy_at_its_point(int seed, int chunkShift, bool grow)
    {
        var random = new Random(seed); // seeded: the same stream every run
        var h = new LedgerHarness(maxAccounts: 2 * Accounts + 16, maxBatchSize: 128, maxPending: 4096, retentionCount: 3000);
        long nextTransfer = 1;
        var holds = new List<UInt128>();
        // Without growth the live thread keeps writing the very arrays the capture reads (every write hook matters);
        // with growth it moves to new arrays part-way and the capture keeps reading the old ones.
        if (!grow) h.Machine.ReserveCapacity(2 * Accounts + 16, int.MaxValue);
        CreateAccounts(h, 1, Accounts);
        for (var i = 0; i < 40; i++) Transfers(h, random, ref nextTransfer, holds, Accounts);
        var slabAtCapture = h.Machine.TransferSlabCapacity;

        using var expected = new MemoryStream();
        h.Machine.WriteState(expected);
        var digest = h.Machine.ComputeDigest();
        var capture = h.Machine.BeginCapture(reuse: null, chunkShift);

        Exception? writerError = null;
        var writer = new Thread(() =>
        {
            try { capture.CopyAll(); }
            catch (Exception e) { writerError = e; }
        }) { IsBackground = true, Name = "test-capture-writer" };
        // First the live thread alone (it copies every chunk it changes), then both at once: new accounts (with grow,
        // the account array grows past its capacity), transfers over old accounts, posts/voids of old holds, evictions (the window
        // is 3,000) and slot reuse.
        CreateAccounts(h, Accounts + 1, Accounts);
        for (var i = 0; i < 10; i++) Transfers(h, random, ref nextTransfer, holds, 2 * Accounts);
        Assert.True(capture.ChunksCopiedOnWrite > 0);
        writer.Start();
        for (var i = 0; i < 50; i++) Transfers(h, random, ref nextTransfer, holds, 2 * Accounts);
        Assert.True(writer.Join(TimeSpan.FromSeconds(60)), "the capture writer did not finish");
        if (!grow) Assert.Equal(slabAtCapture, h.Machine.TransferSlabCapacity); // (with grow, the account array grows: 3,000 → 6,000 past its 4,096 capacity)
        Assert.Null(writerError);

        using var actual = new MemoryStream();
        capture.WriteTo(actual);
        Assert.Equal(expected.ToArray(), actual.ToArray());
        Assert.Equal(digest, capture.ComputeDigest());
        Assert.NotEqual(digest, h.Machine.ComputeDigest()); // the live machine did move on
        // And the image restores to a machine with the captured digest.
        var restored = LedgerStateMachine.Restore(h.Machine.Options, capture.ToImage());
        Assert.Equal(digest, restored.ComputeDigest());
    }

    [Fact]
    public void A_second_capture_is_refused_while_one_is_open_and_allowed_once_it_completed()
    {
        var h = Standard();
        h.CreateTransfers(Tx(10, 1, 2, 5));
        var first = h.Machine.BeginCapture(reuse: null);
        Assert.Throws<InvalidOperationException>(() => h.Machine.BeginCapture(reuse: null));
        Assert.Throws<InvalidOperationException>(() => first.WriteTo(Stream.Null)); // not complete yet
        first.CopyAll();
        h.CreateTransfers(Tx(11, 1, 2, 5));
        var second = h.Machine.BeginCapture(reuse: first);
        second.CopyAll();
        Assert.Equal(h.Machine.ComputeDigest(), second.ComputeDigest());
    }

    [Fact]
    public void The_live_thread_copies_only_the_chunks_it_changes()
    {
        var h = new LedgerHarness(maxAccounts: 4096, maxBatchSize: 128, retentionCount: 4096);
        CreateAccounts(h, 1, 4096);
        var capture = h.Machine.BeginCapture(reuse: null, chunkShift: 8); // 16 account chunks
        h.CreateTransfers(Tx(1, 1, 2, 5)); // accounts 1 and 2: chunk 0; the transfer uses a new slot (past the capture)
        Assert.Equal(1, capture.ChunksCopiedOnWrite);
        h.CreateTransfers(Tx(2, 4000, 3, 5)); // chunk 15 (account 4000) and chunk 0 again (already copied)
        Assert.Equal(2, capture.ChunksCopiedOnWrite);
        capture.CopyAll();
        Assert.Equal(2, capture.ChunksCopiedOnWrite);
    }

    private static void CreateAccounts(LedgerHarness h, int first, int count)
    {
        for (var from = 0; from < count; from += 128)
        {
            var n = Math.Min(128, count - from);
            var batch = new Account[n];
            for (var i = 0; i < n; i++) batch[i] = Acc((UInt128)(first + from + i));
            Assert.All(h.CreateAccounts(batch), c => Assert.Equal(ResultCode.Ok, c));
        }
    }

    /// <summary>One command of 100 transfers: plain, holds, and posts/voids of earlier holds.</summary>
    private static void Transfers(LedgerHarness h, Random random, ref long next, List<UInt128> holds, int accounts)
    {
        var batch = new Transfer[100];
        for (var i = 0; i < batch.Length; i++)
        {
            var id = (UInt128)next++;
            int kind = random.Next(10);
            if (kind < 2 && holds.Count > 0)
            {
                int pick = random.Next(holds.Count);
                var pending = holds[pick];
                holds.RemoveAt(pick);
                batch[i] = kind == 0 ? Post(id, pending) : Void(id, pending);
                continue;
            }
            var debit = (UInt128)(1 + random.Next(accounts));
            var credit = (UInt128)(1 + ((int)(debit - 1) + 1 + random.Next(accounts - 1)) % accounts);
            if (kind < 4)
            {
                batch[i] = Tx(id, debit, credit, 1 + random.Next(100), flags: TransferFlags.Pending);
                holds.Add(id);
            }
            else
            {
                batch[i] = Tx(id, debit, credit, 1 + random.Next(100));
            }
        }
        foreach (var code in h.CreateTransfers(batch))
        {
            // Posts/voids can meet a hold that expired or was evicted-and-resolved; everything else must apply.
            Assert.True(code is ResultCode.Ok or ResultCode.PendingTransferNotFound, code.ToString());
        }
    }
}
