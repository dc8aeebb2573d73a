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
}
