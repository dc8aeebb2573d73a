using RocksDbSharp;

namespace Wallet.Engine.Tests.ReadModel;

public sealed class RocksNativeTests
{
    [Fact]
    public void NativeLibraryLoadsAndRoundTrips()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rm-native-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (RocksDb db = RocksDb.Open(new DbOptions().SetCreateIfMissing(true), dir))
            {
                db.Put(new byte[] { 1, 2 }, new byte[] { 3 });
                Assert.Equal(new byte[] { 3 }, db.Get(new byte[] { 1, 2 }));
            }
        }
        finally { Directory.Delete(dir, true); }
    }
    [Fact]
    public void The_view_options_carry_the_compaction_settings_the_benchmarks_chose()
    {
        // Set through the native API after RocksDbSharp's own setters (IncreaseParallelism would otherwise decide the
        // job count): read back, so a reordering or a wrapper change cannot drop them silently (BENCHMARKS §27, §34).
        DbOptions options = Wallet.Engine.ReadModel.ReadModelStore.DbOptionsFor();
        Assert.Equal(Math.Max(Wallet.Engine.ReadModel.ReadModelStore.MinBackgroundJobs, Environment.ProcessorCount), Native.Instance.rocksdb_options_get_max_background_jobs(options.Handle));
        Assert.Equal((uint)Wallet.Engine.ReadModel.ReadModelStore.MaxSubcompactions, Native.Instance.rocksdb_options_get_max_subcompactions(options.Handle));
        Assert.Equal(Wallet.Engine.ReadModel.ReadModelStore.Level0CompactionTriggerFiles, Native.Instance.rocksdb_options_get_level0_file_num_compaction_trigger(options.Handle));
    }
}
