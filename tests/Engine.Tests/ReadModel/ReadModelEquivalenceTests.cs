using System.Runtime.InteropServices;
using Wallet.Engine.Audit;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;
using Wallet.Engine.Tests.Partition;
using Wallet.Engine.Tests.Support;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;
using static Wallet.Engine.Tests.ReadModel.HistoryPages;

namespace Wallet.Engine.Tests.ReadModel;

/// <summary>
/// The read model is a faithful view of the event journal: for seeded random workloads through the real pipeline
/// (the projector running on its own thread meanwhile), the view's balances equal the BLP's once caught up, every
/// point-in-time answer equals the replay answer, transfer lookups equal the BLP's, and a restart resumes from the
/// checkpoint while a rebuild reproduces the same view.
/// </summary>
public sealed class ReadModelEquivalenceTests
{
    private const int AccountCount = 16;

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14, ReadModelWritePath.WriteBatch)]
    // One record per batch, batches of 4+ events ingested and smaller ones through the memtable: the two paths mixed.
    [InlineData(15, ReadModelWritePath.Ingest, 1, 4)]
    // Every batch ingested, however small.
    [InlineData(16, ReadModelWritePath.Ingest, 1, 0)]
    // History epochs of ~16 rows: ingested batches, then memtable batches, each crossing many epochs.
    [InlineData(17, ReadModelWritePath.Ingest, 2, 0, 16)]
    [InlineData(18, ReadModelWritePath.WriteBatch, 3, 16_384, 16)]
    public void View_matches_blp_and_replay(int seed, ReadModelWritePath path = ReadModelWritePath.Ingest, int maxRecordsPerBatch = 262_144, int ingestMinEvents = 16_384, int historyEpochRows = 1 << 22)
    {
        using var dir = new TempDirectory("rm-equiv");
        string viewPath = Path.Combine(dir.Path, ReadModelStore.DirectoryName);
        var random = new Random(seed); // test-side generator only
        var transferIds = new List<UInt128>();
        var blpAccounts = new Dictionary<UInt128, Account>();
        var blpTransfers = new Dictionary<UInt128, Transfer>();
        long lastIndex;
        using (var p = new PartitionFixture(dir.Path))
        using (ReadModelStore store = ReadModelStore.Open(viewPath))
        using (var projector = new ReadModelProjector(store, p.Engine.EventJournal!, new ReadModelOptions { WritePath = path, MaxRecordsPerBatch = maxRecordsPerBatch, IngestMinEvents = ingestMinEvents, HistoryEpochRows = historyEpochRows }))
        {
            projector.Start();
            RunWorkload(p, random, transferIds);
            lastIndex = p.Engine.AppliedIndex;
            Assert.True(projector.WaitForIndex(lastIndex, TimeSpan.FromSeconds(20)), $"projector stuck at {projector.AppliedIndex} ({projector.LastError})");
            Assert.Equal(0, projector.Lag.Events);
            // Small epochs: the workload's history really spans many (the newest starts well after the first record).
            if (historyEpochRows < 1000) Assert.True(store.HistoryEpochState.Epoch > 10, $"newest history epoch {store.HistoryEpochState.Epoch}");

            // Balances: view == BLP.
            UInt128[] ids = Ids();
            Account[] live = p.LookupAccounts(ids);
            Assert.Equal(AccountCount, live.Length);
            foreach (Account a in live)
            {
                blpAccounts[a.Id] = a;
                Assert.True(store.TryGetAccount(a.Id, out AccountView v, out ViewPosition pos));
                Assert.Equal(lastIndex, pos.Index);
                AssertSameBalances(a, v.Account);
                Assert.Equal(a.Flags, v.Account.Flags);
                Assert.Equal(a.UserData128, v.Account.UserData128);
            }
            // Transfers: view == BLP.
            CollectedResult tr = p.Run(QueryKind.LookupTransfers, MemoryMarshal.AsBytes(transferIds.ToArray().AsSpan()));
            foreach (Transfer t in MemoryMarshal.Cast<byte, Transfer>(tr.Payload)) blpTransfers[t.Id] = t;
            Assert.NotEmpty(blpTransfers);
            foreach (Transfer t in blpTransfers.Values)
            {
                Assert.True(store.TryGetTransfer(t.Id, out TransferView tv, out _));
                Assert.Equal(t, tv.Transfer);
            }
            projector.Stop(TimeSpan.FromSeconds(10));
            Assert.True(p.Stop(snapshot: false));
        }

        LedgerOptions ledger = new PartitionFixture.OptionsOnly(dir.Path).Ledger;
        using (ReadModelStore store = ReadModelStore.OpenReadOnly(viewPath))
        {
            Assert.Equal(lastIndex, store.Position.Index);
            // Transfers and hold states: view == replay to the end (Settled/Pending/Posted/Voided/Expired).
            ReplayResult end = LedgerReplay.Replay(dir.Path, ledger, ReplayTarget.End, useSnapshots: false);
            int holds = 0;
            foreach (UInt128 transferId in transferIds)
            {
                if (!end.Ledger.TryGetTransfer(transferId, out Transfer expected, out TransferState state))
                {
                    Assert.False(store.TryGetTransfer(transferId, out _, out _), $"transfer {transferId} was refused but is in the view");
                    continue;
                }
                Assert.True(store.TryGetTransfer(transferId, out TransferView view, out _), $"transfer {transferId} missing in the view");
                Assert.Equal(expected, view.Transfer);
                Assert.Equal((ushort)state, (ushort)view.Status);
                if (state != TransferState.Settled) holds++;
            }
            Assert.True(holds > 0, "the workload made holds");
            // Point in time by index: every few indexes, every account, view == replay.
            for (long index = 1; index <= lastIndex; index += 1 + random.Next(6))
            {
                AssertPointInTime(dir.Path, ledger, store, ReplayTarget.AtIndex(index));
            }
            // By time: instants between and exactly at command stamps.
            using Wallet.Engine.Journal.Journal commands = Wallet.Engine.Journal.Journal.OpenReadOnly(new JournalOptions { Directory = dir.Path, FilePrefix = PartitionEngine.CommandJournalPrefix });
            var stamps = new List<long>();
            using (JournalReader reader = commands.OpenReader(1))
            {
                while (reader.TryRead(out JournalRecord r)) stamps.Add(r.Timestamp);
            }
            for (int i = 0; i < 12; i++)
            {
                long stamp = stamps[random.Next(stamps.Count)];
                AssertPointInTime(dir.Path, ledger, store, ReplayTarget.AtTime(stamp + random.Next(-1, 2)));
            }
            AssertPointInTime(dir.Path, ledger, store, ReplayTarget.AtTime(stamps[0] - 1));

            // History: running balance of the newest row == balance now; both orders and paging agree.
            foreach (UInt128 id in Ids())
            {
                List<HistoryRow> oldest = ReadAll(store, id, newestFirst: false, pageSize: 7);
                List<HistoryRow> newest = ReadAll(store, id, newestFirst: true, pageSize: 5);
                Assert.Equal(oldest.Count, newest.Count);
                newest.Reverse();
                Assert.Equal(oldest, newest);
                Assert.Equal(LedgerEventKind.AccountCreated, oldest[0].Kind);
                AccountBalances last = oldest[^1].After;
                Assert.Equal(blpAccounts[id].DebitsPosted, last.DebitsPosted);
                Assert.Equal(blpAccounts[id].CreditsPosted, last.CreditsPosted);
                Assert.Equal(blpAccounts[id].DebitsPending, last.DebitsPending);
                for (int i = 1; i < oldest.Count; i++)
                {
                    Assert.True(oldest[i].Index > oldest[i - 1].Index || (oldest[i].Index == oldest[i - 1].Index && oldest[i].Ordinal > oldest[i - 1].Ordinal));
                    Assert.True(oldest[i].CommandTimestamp >= oldest[i - 1].CommandTimestamp);
                }
            }
        }
    }

    [Fact]
    public void Restart_resumes_from_checkpoint_and_rebuild_reproduces_the_view()
    {
        using var dir = new TempDirectory("rm-restart");
        string viewPath = Path.Combine(dir.Path, ReadModelStore.DirectoryName);
        var random = new Random(5);
        var transfers = new List<UInt128>();
        // Small history epochs (a new one every ~40 rows), so that the restart resumes inside one and later batches open more.
        var options = new ReadModelOptions { HistoryEpochRows = 40, MaxRecordsPerBatch = 4 };
        using (var p = new PartitionFixture(dir.Path))
        {
            using (ReadModelStore store = ReadModelStore.Open(viewPath))
            using (var projector = new ReadModelProjector(store, p.Engine.EventJournal!, options))
            {
                RunWorkload(p, random, transfers, commands: 30);
                Assert.True(projector.CatchUp() > 0);
                Assert.Equal(p.Engine.AppliedIndex, store.Position.Index);
            }
            long firstRun = p.Engine.AppliedIndex;
            RunWorkload(p, random, transfers, commands: 30, createAccounts: false);
            using (ReadModelStore store = ReadModelStore.Open(viewPath))
            {
                Assert.Equal(firstRun, store.Position.Index);
                (long epochAtRestart, long rowsAtRestart) = store.HistoryEpochState;
                Assert.True(epochAtRestart > 1 && rowsAtRestart > 0, $"epoch {epochAtRestart}, {rowsAtRestart} rows");
                using var projector = new ReadModelProjector(store, p.Engine.EventJournal!, options);
                long applied = projector.CatchUp();
                Assert.Equal(p.Engine.AppliedIndex - firstRun, applied); // only the new records
                Assert.Equal(0, projector.Rebuilds);
                Assert.True(store.HistoryEpochState.Epoch > epochAtRestart, "later batches opened later epochs");
                Dictionary<UInt128, Account> before = Snapshot(store);
                Dictionary<UInt128, List<HistoryRow>> historyBefore = Histories(store);
                LedgerOptions ledger = new PartitionFixture.OptionsOnly(dir.Path).Ledger;
                foreach (long index in (long[])[1, firstRun / 2, firstRun, firstRun + 1, p.Engine.AppliedIndex])
                {
                    AssertPointInTime(dir.Path, ledger, store, ReplayTarget.AtIndex(index));
                }

                projector.RequestRebuild();
                projector.Start();
                Assert.True(projector.WaitForIndex(p.Engine.AppliedIndex, TimeSpan.FromSeconds(20)));
                Assert.True(SpinWait.SpinUntil(() => projector.Rebuilds == 1, 5000));
                Assert.True(projector.WaitForIndex(p.Engine.AppliedIndex, TimeSpan.FromSeconds(20)));
                projector.Stop(TimeSpan.FromSeconds(10));
                Assert.Equal(before, Snapshot(store));
                Assert.Equal(historyBefore, Histories(store));
            }
        }
    }

    [Fact]
    public void L0_gathers_files_during_a_backlog_and_is_compacted_once_caught_up()
    {
        using var dir = new TempDirectory("rm-l0");
        string viewPath = Path.Combine(dir.Path, ReadModelStore.DirectoryName);
        using var p = new PartitionFixture(dir.Path);
        RunWorkload(p, new Random(3), [], commands: 20);
        using ReadModelStore store = ReadModelStore.Open(viewPath);
        Assert.Equal(ReadModelStore.Level0CompactionTriggerFiles, store.Level0CompactionTrigger);
        // One record per batch: every batch is full, as in a backlog. No hold between lowering and raising (below).
        var options = new ReadModelOptions { MaxRecordsPerBatch = 1 };
        using var projector = new ReadModelProjector(store, p.Engine.EventJournal!, options) { Level0RaiseHoldMs = 0 };
        var seen = new List<int>();
        Assert.True(projector.CatchUp(_ => seen.Add(store.Level0CompactionTrigger)) > 1);
        Assert.All(seen, t => Assert.Equal(ReadModelStore.Level0CompactionTriggerFiles, t));
        // Caught up: lowered, in RocksDB itself (its options file records what is in force).
        Assert.Equal(ReadModelStore.Level0CompactionTriggerFilesCaughtUp, store.Level0CompactionTrigger);
        string newest = Directory.EnumerateFiles(viewPath, "OPTIONS-*").OrderBy(f => f, StringComparer.Ordinal).Last();
        Assert.Contains($"level0_file_num_compaction_trigger={ReadModelStore.Level0CompactionTriggerFilesCaughtUp}", File.ReadAllText(newest));
        // A new backlog raises it again.
        RunWorkload(p, new Random(4), [], commands: 5, createAccounts: false);
        Assert.True(projector.CatchUp(_ => seen.Add(store.Level0CompactionTrigger)) > 1);
        Assert.Equal(ReadModelStore.Level0CompactionTriggerFiles, seen[^1]);
        Assert.Equal(ReadModelStore.Level0CompactionTriggerFilesCaughtUp, store.Level0CompactionTrigger);
        // Within the hold after lowering, a backlog leaves it low: a stream that alternates full batches and idle
        // moments must not make RocksDB rewrite its options file at every turn.
        using var held = new ReadModelProjector(store, p.Engine.EventJournal!, options) { Level0RaiseHoldMs = 600_000 };
        RunWorkload(p, new Random(5), [], commands: 5, createAccounts: false);
        var heldSeen = new List<int>();
        Assert.True(held.CatchUp(_ => heldSeen.Add(store.Level0CompactionTrigger)) > 1);
        Assert.All(heldSeen, t => Assert.Equal(ReadModelStore.Level0CompactionTriggerFilesCaughtUp, t));
        Assert.Equal(ReadModelStore.Level0CompactionTriggerFilesCaughtUp, store.Level0CompactionTrigger);
    }

    [Fact]
    public void A_view_built_from_another_journal_is_detected_and_rebuilt()
    {
        using var a = new TempDirectory("rm-a");
        using var b = new TempDirectory("rm-b");
        string viewPath = Path.Combine(a.Path, "view");
        using (var p = new PartitionFixture(a.Path))
        {
            RunWorkload(p, new Random(1), [], commands: 10);
            using ReadModelStore store = ReadModelStore.Open(viewPath);
            using var projector = new ReadModelProjector(store, p.Engine.EventJournal!);
            projector.CatchUp();
        }
        using (var p = new PartitionFixture(b.Path))
        {
            RunWorkload(p, new Random(2), [], commands: 20);
            using ReadModelStore store = ReadModelStore.Open(viewPath);
            using var projector = new ReadModelProjector(store, p.Engine.EventJournal!);
            projector.CatchUp();
            Assert.Equal(1, projector.Rebuilds);
            Assert.Equal(p.Engine.AppliedIndex, store.Position.Index);
            foreach (Account live in p.LookupAccounts(Ids()))
            {
                Assert.True(store.TryGetAccount(live.Id, out AccountView v, out _));
                AssertSameBalances(live, v.Account);
            }
        }
    }

    /// <summary>Every account's whole history, oldest first.</summary>
    private static Dictionary<UInt128, List<HistoryRow>> Histories(ReadModelStore store)
    {
        var d = new Dictionary<UInt128, List<HistoryRow>>();
        foreach (UInt128 id in Ids()) d[id] = ReadAll(store, id, newestFirst: false, pageSize: 11);
        return d;
    }

    private static Dictionary<UInt128, Account> Snapshot(ReadModelStore store)
    {
        var d = new Dictionary<UInt128, Account>();
        foreach (AccountView v in store.EnumerateAccounts()) d[v.Account.Id] = v.Account;
        return d;
    }

    private static void AssertPointInTime(string dataDir, LedgerOptions ledger, ReadModelStore store, ReplayTarget target)
    {
        ReplayResult replay = LedgerReplay.Replay(dataDir, ledger, target, useSnapshots: false);
        foreach (UInt128 id in Ids())
        {
            BalanceAt view = store.GetBalanceAt(id, target);
            if (replay.Ledger.TryGetAccount(id, out Account expected))
            {
                Assert.True(view.Status == BalanceAtStatus.Found, $"{target}: account {id} exists in the replay, view says {view.Status}");
                Assert.Equal(AccountBalances.Of(expected), view.Balances);
                Assert.True(view.ChangeIndex <= replay.LastIndex);
            }
            else
            {
                Assert.Equal(BalanceAtStatus.NotFound, view.Status);
            }
        }
    }

    private static void AssertSameBalances(in Account expected, in Account actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(AccountBalances.Of(expected), AccountBalances.Of(actual));
    }

    private static UInt128[] Ids()
    {
        var ids = new UInt128[AccountCount];
        for (int i = 0; i < ids.Length; i++) ids[i] = (UInt128)(i + 1);
        return ids;
    }

    /// <summary>Accounts 1..16 (some with user data and balance limits), then random single-phase, pending, post, void, expiring and linked transfers, closes near the end.</summary>
    private static void RunWorkload(PartitionFixture p, Random random, List<UInt128> transferIds, int commands = 80, bool createAccounts = true)
    {
        if (createAccounts)
        {
            var accounts = new List<Account>();
            for (int i = 1; i <= AccountCount; i++)
            {
                Account acc = Acc((UInt128)i, ledger: (uint)(i % 3 == 0 ? 2 : 1),
                    flags: random.Next(4) == 0 ? AccountFlags.DebitsMustNotExceedCredits : AccountFlags.None);
                acc.UserData128 = (UInt128)(i % 4);
                accounts.Add(acc);
            }
            p.CreateAccounts([.. accounts]);
        }
        var pendings = new List<UInt128>();
        ulong nextId = (ulong)(transferIds.Count + 1) * 1000 + (ulong)random.Next(1, 1000) * 100_000;
        for (int command = 0; command < commands; command++)
        {
            p.Clock.Advance(random.Next(1, 3) * 400_000_000L);
            int n = random.Next(1, 7);
            var batch = new Transfer[n];
            for (int i = 0; i < n; i++)
            {
                UInt128 id = nextId++;
                int kind = random.Next(10);
                if (kind < 2 && pendings.Count > 0)
                {
                    UInt128 pending = pendings[random.Next(pendings.Count)];
                    batch[i] = kind == 0 ? Post(id, pending, random.Next(0, 50)) : Void(id, pending);
                }
                else
                {
                    int debit = random.Next(1, AccountCount + 1), credit = random.Next(1, AccountCount + 1);
                    TransferFlags flags = kind == 2 ? TransferFlags.Pending : TransferFlags.None;
                    batch[i] = Tx(id, (UInt128)debit, (UInt128)credit, random.Next(1, 100), ledger: (uint)(debit % 3 == 0 ? 2 : 1),
                        flags: flags, timeoutSeconds: flags == TransferFlags.Pending ? (uint)random.Next(1, 4) : 0);
                    if (flags == TransferFlags.Pending) pendings.Add(id);
                }
                if (i < n - 1 && random.Next(6) == 0) batch[i].Flags |= TransferFlags.Linked;
                transferIds.Add(id);
            }
            p.CreateTransfers(batch);
            if (command == commands - 3)
            {
                UInt128 close = (UInt128)random.Next(1, AccountCount + 1);
                p.Run((ushort)CommandKind.CloseAccounts, MemoryMarshal.AsBytes(new[] { close }.AsSpan()));
            }
        }
    }
}
