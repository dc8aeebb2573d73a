using System.Buffers.Binary;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;
using Wallet.Engine.Tests.Partition;
using Wallet.Engine.Tests.Support;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.ReadModel;

/// <summary>
/// The view records its layout version. A view of another version (the one-row-per-change layout before chunks had
/// no version key; a later layout has a higher one) is deleted and rebuilt from the journal when opened for writing,
/// and refused when opened read-only: never read with the wrong layout.
/// </summary>
public sealed class ReadModelFormatTests
{
    [Theory]
    [InlineData(null)] // the layout before versions: rows but no 'V' key
    [InlineData(1u)]
    [InlineData(2u)] // fixed 112-byte history rows: must never be read as the compact rows of format 3
    [InlineData(3u)] // account-first history keys: must never be read as epoch-first keys of format 4
    [InlineData(5u)] // a later build's view
    public void A_view_of_another_format_is_rebuilt_on_open_and_refused_read_only(uint? version)
    {
        using var dir = new TempDirectory("rm-format");
        string viewPath = Path.Combine(dir.Path, ReadModelStore.DirectoryName);
        using (var p = new PartitionFixture(dir.Path))
        {
            p.CreateAccounts(Acc(1), Acc(2));
            p.CreateTransfers(Tx(10, 1, 2, 5), Tx(11, 2, 1, 3));
            using (ReadModelStore store = ReadModelStore.Open(viewPath))
            {
                Assert.Null(store.FormatReset);
                using var projector = new ReadModelProjector(store, p.Engine.EventJournal!);
                Assert.True(projector.CatchUp() > 0);
                Assert.Equal(p.Engine.AppliedIndex, store.Position.Index);
            }
            // Reopening the current format keeps the view.
            using (ReadModelStore store = ReadModelStore.Open(viewPath))
            {
                Assert.Null(store.FormatReset);
                Assert.Equal(p.Engine.AppliedIndex, store.Position.Index);
                SetFormat(store, version);
            }

            Assert.Throws<InvalidDataException>(() => ReadModelStore.OpenReadOnly(viewPath).Dispose());

            using (ReadModelStore store = ReadModelStore.Open(viewPath))
            {
                Assert.NotNull(store.FormatReset);
                Assert.Contains("rebuilt", store.FormatReset, StringComparison.Ordinal);
                Assert.Equal(0, store.Position.Index);
                Assert.False(store.TryGetTransfer(10, out _, out _));
                using var projector = new ReadModelProjector(store, p.Engine.EventJournal!);
                Assert.True(projector.CatchUp() > 0);
                Assert.Equal(p.Engine.AppliedIndex, store.Position.Index);
                Assert.True(store.TryGetAccount(1, out AccountView a, out _));
                Assert.Equal(5, a.Account.DebitsPosted);
                Assert.Equal(3, a.Account.CreditsPosted);
            }
            // Rebuilt: current format again, readable read-only.
            using (ReadModelStore store = ReadModelStore.OpenReadOnly(viewPath))
            {
                Assert.Equal(p.Engine.AppliedIndex, store.Position.Index);
            }
        }
    }

    [Fact]
    public void A_rebuild_request_keeps_the_format_key()
    {
        using var dir = new TempDirectory("rm-format-clear");
        string viewPath = Path.Combine(dir.Path, ReadModelStore.DirectoryName);
        using var p = new PartitionFixture(dir.Path);
        p.CreateAccounts(Acc(1), Acc(2));
        using (ReadModelStore store = ReadModelStore.Open(viewPath))
        using (var projector = new ReadModelProjector(store, p.Engine.EventJournal!))
        {
            projector.RequestRebuild();
            projector.Start();
            Assert.True(projector.WaitForIndex(p.Engine.AppliedIndex, TimeSpan.FromSeconds(20)));
            Assert.True(SpinWait.SpinUntil(() => projector.Rebuilds == 1, 5000));
            Assert.True(projector.WaitForIndex(p.Engine.AppliedIndex, TimeSpan.FromSeconds(20)));
            Assert.True(projector.Stop(TimeSpan.FromSeconds(10)));
        }
        using (ReadModelStore store = ReadModelStore.Open(viewPath))
        {
            Assert.Null(store.FormatReset);
            Assert.Equal(p.Engine.AppliedIndex, store.Position.Index);
        }
    }

    /// <summary>Rewrites the format key as another version would have left it (null: no key, as before versions).</summary>
    private static void SetFormat(ReadModelStore store, uint? version)
    {
        byte[] key = [ReadModelKeys.Format];
        if (version is null)
        {
            store.Db.Remove(key);
            return;
        }
        byte[] value = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(value, version.Value);
        store.Db.Put(key, value);
    }
}
