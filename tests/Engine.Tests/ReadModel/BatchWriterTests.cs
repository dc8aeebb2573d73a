using RocksDbSharp;
using Wallet.Engine.ReadModel;
using Wallet.Engine.Tests.Support;

namespace Wallet.Engine.Tests.ReadModel;

/// <summary>
/// The writer thread writes one batch at a time, in submission order, and hands a failed write back to the
/// projection thread (as an exception from the next Wait/Submit) instead of losing it or crashing its thread.
/// </summary>
public sealed class BatchWriterTests
{
    [Fact]
    public void Batches_land_in_order_and_a_failed_write_is_rethrown_once()
    {
        using var dir = new TempDirectory("rm-writer");
        using var db = RocksDb.Open(new DbOptions().SetCreateIfMissing(true), dir.Path);
        var noWal = new WriteOptions().DisableWal(1);
        using var a = new PendingBatch();
        using var b = new PendingBatch();
        using (var writer = new BatchWriter(db, noWal))
        {
            a.Puts.Put("k"u8, "first"u8);
            writer.Submit(a);
            b.Puts.Put("k"u8, "second"u8);
            writer.Submit(b); // waits for a first
            writer.Wait();
            Assert.Equal(BatchWriterState.Idle, writer.State);
            Assert.Equal("second", db.Get("k"));
            Assert.Equal(0, a.Native.Count()); // emptied after its write
        }

        // RocksDB refuses a synced write without a WAL: the failure comes back on Wait, once, and the writer goes on.
        var invalid = new WriteOptions().SetSync(true).DisableWal(1);
        using (var writer = new BatchWriter(db, invalid))
        {
            a.Puts.Put("x"u8, "never"u8);
            writer.Submit(a);
            IOException failure = Assert.Throws<IOException>(writer.Wait);
            Assert.IsType<RocksDbException>(failure.InnerException);
            writer.Wait(); // nothing in flight any more, nothing to rethrow
            Assert.Null(db.Get("x"));
            Assert.Equal(0, a.Native.Count());
            b.Puts.Put("y"u8, "never"u8);
            writer.Submit(b);
        } // Dispose drops the second failure: the checkpoint in the database says what landed.
        Assert.Null(db.Get("y"));
    }
}
