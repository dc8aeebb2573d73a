using System.Runtime.InteropServices;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Saga;

namespace Wallet.Perf.Scenarios.Saga;

/// <summary>N partition engines (temp directory), their routers and a saga coordinator, plus per-partition account lists.</summary>
internal sealed class SagaBenchCluster : IDisposable
{
    public static readonly LedgerCatalog Catalog = new([new LedgerDefinition(1, "USD", 2)]);
    private readonly SagaResultRouter[] _routers;

    public SagaBenchCluster(string root, int partitions, int accountsPerPartition, FsyncPolicy fsync, SagaBenchTracker tracker)
    {
        Root = root;
        Map = PartitionMap.Uniform(partitions);
        _routers = new SagaResultRouter[partitions];
        var engines = new PartitionEngine[partitions];
        var ledger = new LedgerOptions
        {
            Catalog = Catalog, MaxAccounts = accountsPerPartition + 64, MaxBatchSize = 4096, MaxPendingTransfers = 1 << 18,
            TransferRetentionCount = 1 << 20,
        };
        for (var p = 0; p < partitions; p++)
        {
            _routers[p] = new SagaResultRouter(p, tracker);
            engines[p] = PartitionEngine.Start(new PartitionOptions
            {
                DataDirectory = Path.Combine(root, "p" + p), Ledger = ledger, Fsync = fsync, EventJournal = false, SnapshotIntervalCommands = 0,
                JournalSegmentSizeBytes = 256L << 20, IngressRingSize = 1 << 14, EgressRingSize = 1 << 14, MaxBatchSize = 4096,
                MaxCommandBytes = 4096 * Transfer.SizeBytes, Wait = WaitKind.Blocking,
            }, _routers[p]);
        }

        Engines = engines;
        Accounts = new UInt128[partitions][];
        var lists = new List<UInt128>[partitions];
        for (var p = 0; p < partitions; p++) lists[p] = [];
        for (UInt128 id = 1; ; id++)
        {
            var p = Map.PartitionOf(id);
            if (lists[p].Count < accountsPerPartition) lists[p].Add(id);
            var full = true;
            foreach (var l in lists) full &= l.Count == accountsPerPartition;
            if (full) break;
        }

        for (var p = 0; p < partitions; p++)
        {
            Accounts[p] = [.. lists[p]];
            var batch = new Account[1024];
            for (var at = 0; at < Accounts[p].Length; at += batch.Length)
            {
                var n = Math.Min(batch.Length, Accounts[p].Length - at);
                for (var i = 0; i < n; i++) batch[i] = new Account { Id = Accounts[p][at + i], Ledger = 1, Code = 1 };
                while (engines[p].TrySubmit((ushort)CommandKind.CreateAccounts, -1, 99, MemoryMarshal.AsBytes(batch.AsSpan(0, n))) == SubmitStatus.Busy) Thread.Sleep(1);
            }
        }

        Coordinator = SagaCoordinator.Start(new SagaCoordinatorOptions
        {
            DataDirectory = Path.Combine(root, "saga"),
            Saga = new SagaOptions { Map = Map, Catalog = Catalog, MaxActiveSagas = 1 << 16, RetainedCompletedSagas = 1 << 16, StepDeadlineNs = 30_000_000_000 },
            Fsync = fsync, InboxSize = 1 << 17, RetryIntervalNs = 2_000_000_000, MaxStepsPerCommand = 4096,
        }, engines, _routers);
    }

    public string Root { get; }
    public PartitionMap Map { get; }
    public IReadOnlyList<PartitionEngine> Engines { get; }
    public UInt128[][] Accounts { get; }
    public SagaCoordinator Coordinator { get; }

    public void Dispose()
    {
        Coordinator.Dispose();
        foreach (var e in Engines) e.Stop(TimeSpan.FromSeconds(60), snapshot: false);
        foreach (var e in Engines) e.Dispose();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
