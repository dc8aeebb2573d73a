using Wallet.Engine.Ledger;
using Wallet.Engine.ReadModel;
using Wallet.Engine.Tests.Partition;
using Wallet.Engine.Tests.Support;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.ReadModel;

/// <summary>
/// The view's age is measured in ledger time — the journal's newest command stamp minus that of the newest record the
/// view holds — so it says how stale a view answer is, whatever the projector's own timing.
/// </summary>
public sealed class ReadModelLagTests
{
    [Fact]
    public void Age_is_the_ledger_time_between_the_journal_end_and_the_view()
    {
        using var dir = new TempDirectory("rm-lag");
        using var p = new PartitionFixture(dir.Path);
        p.CreateAccounts(Acc(1), Acc(2));
        Assert.Equal(ResultCode.Ok, p.CreateTransfers(Tx(10, 1, 2, 5))[0]);

        using ReadModelStore store = ReadModelStore.Open(Path.Combine(dir.Path, ReadModelStore.DirectoryName));
        using var projector = new ReadModelProjector(store, p.Engine.EventJournal!);
        // Nothing applied yet and no stamp of its own: the age falls back to "behind for", which is 0 before any work.
        Assert.True(projector.Lag.Events > 0);
        Assert.Equal(projector.Lag.BehindMs, projector.Lag.AgeMs);
        projector.CatchUp();
        Assert.Equal(new ReadModelLag(p.Engine.EventJournal!.LastIndex, p.Engine.EventJournal.LastIndex, 0, 0, 0), projector.Lag);

        // Five seconds of ledger time later, two more commands: the view is two records and ~5 s old.
        p.Clock.Advance(5_000_000_000L);
        Assert.Equal(ResultCode.Ok, p.CreateTransfers(Tx(11, 1, 2, 5))[0]);
        p.Clock.Advance(250_000_000L);
        Assert.Equal(ResultCode.Ok, p.CreateTransfers(Tx(12, 2, 1, 5))[0]);
        ReadModelLag lag = projector.Lag;
        Assert.Equal(2, lag.Events);
        Assert.InRange(lag.AgeMs, 5_249, 5_251); // stamps may sit a few ns off the clock (they never decrease)

        projector.CatchUp();
        Assert.Equal(0, projector.Lag.AgeMs);
        Assert.Equal(0, projector.Lag.Events);

        // A reopened projector takes the view's stamp from its checkpoint.
        p.Clock.Advance(1_000_000_000L);
        Assert.Equal(ResultCode.Ok, p.CreateTransfers(Tx(13, 1, 2, 5))[0]);
        using var reopened = new ReadModelProjector(store, p.Engine.EventJournal!);
        Assert.InRange(reopened.Lag.AgeMs, 999, 1_001);
    }
}
