using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Wallet.Engine.Audit;
using Wallet.Engine.Ledger;
using Wallet.Engine.ReadModel;
using Wallet.Engine.Tests.Partition;
using Wallet.Engine.Tests.Support;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;
using static Wallet.Engine.Tests.ReadModel.HistoryPages;

namespace Wallet.Engine.Tests.ReadModel;

/// <summary>
/// History epochs change where chunks live, never what a query answers: for random batch sizes, epoch sizes and write
/// paths, a view of one journal answers every history page (both orders, random page sizes, random time windows) and
/// every balance-at exactly as a view with one batch and one epoch does — which <see cref="HistoryChunkTests"/> checks
/// against replay; time windows against the whole history filtered by time. The journal (random transfers among eight accounts, some idle for long stretches) is made once.
/// </summary>
public sealed class HistoryEpochPropertyTests : IClassFixture<HistoryEpochPropertyTests.Journal>
{
    private const int AccountCount = 8;
    private readonly Journal _journal;

    public HistoryEpochPropertyTests(Journal journal) => _journal = journal;

    /// <summary>One partition's journals with a random workload, and the reference view (one batch, one epoch).</summary>
    public sealed class Journal : IDisposable
    {
        private readonly TempDirectory _dir = new("rm-epoch-prop");
        public string DataDirectory => _dir.Path;
        public Wallet.Engine.Journal.Journal Events { get; }
        public ReadModelStore Reference { get; }
        public long LastIndex { get; }
        public List<long> Stamps { get; } = [];

        public Journal()
        {
            var random = new Random(7); // test-side generator only
            using (var p = new PartitionFixture(_dir.Path))
            {
                var accounts = new Account[AccountCount];
                for (int a = 0; a < AccountCount; a++) accounts[a] = Acc((UInt128)(a + 1));
                p.CreateAccounts(accounts);
                ulong id = 1;
                for (int c = 0; c < 60; c++)
                {
                    p.Clock.Advance(1_000_000);
                    // Accounts 7 and 8 only in a few commands: long idle stretches across epochs.
                    int width = c % 20 == 0 ? AccountCount : AccountCount - 2;
                    var batch = new Transfer[1 + random.Next(40)];
                    for (int i = 0; i < batch.Length; i++)
                    {
                        int debit = 1 + random.Next(width);
                        int credit = 1 + ((debit + random.Next(width - 1)) % width);
                        batch[i] = Tx(id++, (UInt128)debit, (UInt128)credit, 1 + random.Next(50));
                    }
                    Assert.All(p.CreateTransfers(batch), code => Assert.Equal(ResultCode.Ok, code));
                }
                LastIndex = p.Engine.AppliedIndex;
                Assert.True(p.Stop(snapshot: false));
            }
            Events = Wallet.Engine.Journal.Journal.OpenReadOnly(new Wallet.Engine.Journal.JournalOptions { Directory = _dir.Path, FilePrefix = Wallet.Engine.Partition.PartitionEngine.EventJournalPrefix });
            using (Wallet.Engine.Journal.JournalReader reader = Events.OpenReader(1))
            {
                while (reader.TryRead(out Wallet.Engine.Journal.JournalRecord r)) Stamps.Add(r.Timestamp);
            }
            Reference = Build("reference", int.MaxValue >> 10, 1 << 22, 16_384);
            Assert.Equal(LastIndex, Reference.Position.Index);
        }

        public ReadModelStore Build(string name, int maxEventsPerBatch, int historyEpochRows, int ingestMinEvents)
        {
            ReadModelStore store = ReadModelStore.Open(Path.Combine(_dir.Path, "view-" + name));
            using var projector = new ReadModelProjector(store, Events, new ReadModelOptions
            {
                MaxEventsPerBatch = maxEventsPerBatch, HistoryEpochRows = historyEpochRows, IngestMinEvents = ingestMinEvents,
            });
            projector.CatchUp();
            return store;
        }

        public void Dispose()
        {
            Reference.Dispose();
            Events.Dispose();
            _dir.Dispose();
        }
    }

    private static readonly Gen<(int BatchEvents, int EpochRows, int IngestMin, int PageSize, int Seed)> Layouts =
        from batchEvents in Gen.Choose(1, 300)
        from epochRows in Gen.Frequency((2, Gen.Choose(1, 40)), (2, Gen.Choose(41, 600)), (1, Gen.Choose(601, 5000)))
        from ingestMin in Gen.Elements(0, 16_384)
        from pageSize in Gen.Choose(1, 70)
        from seed in Gen.Choose(0, int.MaxValue)
        select (batchEvents, epochRows, ingestMin, pageSize, seed);

    private static int _views;

    [Property(MaxTest = 25)]
    public Property Any_epoch_layout_answers_as_one_batch_and_one_epoch() =>
        Prop.ForAll(Layouts.ToArbitrary(), layout =>
        {
            string name = "layout-" + Interlocked.Increment(ref _views).ToString(System.Globalization.CultureInfo.InvariantCulture);
            ReadModelStore view = _journal.Build(name, layout.BatchEvents, layout.EpochRows, layout.IngestMin);
            try
            {
                Assert.Equal(_journal.LastIndex, view.Position.Index);
                var random = new Random(layout.Seed);
                for (int a = 1; a <= AccountCount; a++)
                {
                    UInt128 account = (UInt128)a;
                    // Whole history, both orders, the layout's page size.
                    List<HistoryRow> all = ReadAll(_journal.Reference, account, newestFirst: false, 1000);
                    Assert.Equal(all, ReadAll(view, account, newestFirst: false, layout.PageSize));
                    Assert.Equal(Reversed(all), ReadAll(view, account, newestFirst: true, layout.PageSize));
                    // Random time windows, both orders (ends at, between and beside the stamps), against the rows of the
                    // whole history filtered by time (not against another window query: the window's own seek is tested).
                    for (int w = 0; w < 4; w++)
                    {
                        long from = Around(random), to = Around(random);
                        if (from > to) (from, to) = (to, from);
                        List<HistoryRow> inWindow = all.FindAll(r => r.CommandTimestamp >= from && r.CommandTimestamp <= to);
                        Assert.Equal(inWindow, ReadAll(view, account, newestFirst: false, layout.PageSize, from, to));
                        Assert.Equal(Reversed(inWindow), ReadAll(view, account, newestFirst: true, layout.PageSize, from, to));
                    }
                    // Balance at random indexes and times, and now.
                    for (int q = 0; q < 8; q++)
                    {
                        ReplayTarget target = q % 2 == 0 ? ReplayTarget.AtIndex(1 + random.NextInt64(_journal.LastIndex)) : ReplayTarget.AtTime(Around(random));
                        Assert.Equal(_journal.Reference.GetBalanceAt(account, target), view.GetBalanceAt(account, target));
                    }
                    Assert.True(view.TryGetAccount(account, out AccountView now, out _));
                    Assert.True(_journal.Reference.TryGetAccount(account, out AccountView expected, out _));
                    Assert.Equal(expected, now);
                }
            }
            finally
            {
                string path = view.Path;
                view.Dispose();
                ReadModelStore.Destroy(path);
            }
        });

    private static List<HistoryRow> Reversed(List<HistoryRow> rows)
    {
        var copy = new List<HistoryRow>(rows);
        copy.Reverse();
        return copy;
    }

    /// <summary>A command stamp, or a nanosecond either side of one.</summary>
    private long Around(Random random) => _journal.Stamps[random.Next(_journal.Stamps.Count)] + random.Next(-1, 2);

}
