using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Saga.Tests;

/// <summary>Client results of one partition, by correlation id, with a bounded wait.</summary>
internal sealed class WaitingHandler : IPartitionResultHandler
{
    private readonly ConcurrentDictionary<long, (ResultCode[] Codes, byte[] Payload)> _results = new();

    public void OnResult(ref ResultSlot result, bool endOfBatch)
    {
        var codes = new ResultCode[result.ResultCount];
        for (var i = 0; i < codes.Length; i++) codes[i] = result.Results[i].Code;
        _results[result.CorrelationId] = (codes, result.PayloadSpan.ToArray());
        lock (_results) Monitor.PulseAll(_results);
    }

    public (ResultCode[] Codes, byte[] Payload) Wait(long correlation)
    {
        var deadline = Environment.TickCount64 + 10_000;
        lock (_results)
        {
            (ResultCode[] Codes, byte[] Payload) r;
            while (!_results.TryRemove(correlation, out r))
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0) throw new TimeoutException($"no result for {correlation}");
                Monitor.Wait(_results, (int)Math.Min(left, 100));
            }

            return r;
        }
    }
}

/// <summary>Completions by correlation id, with a bounded wait.</summary>
internal sealed class CompletionWaiter : ISagaCompletion
{
    private readonly ConcurrentDictionary<long, ResultCode> _codes = new();
    private readonly ConcurrentDictionary<long, ulong> _sagas = new();

    public int Count => _codes.Count;

    /// <summary>The saga id the completion named (0: none began).</summary>
    public ulong SagaOf(long correlation) => _sagas.TryGetValue(correlation, out var id) ? id : 0;

    public void OnSagaCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp)
    {
        _sagas[correlationId] = sagaId;
        if (!_codes.TryAdd(correlationId, code)) throw new InvalidOperationException($"correlation {correlationId} completed twice");
        lock (_codes) Monitor.PulseAll(_codes);
    }

    public ResultCode Wait(long correlation, int timeoutMs = 20_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        lock (_codes)
        {
            ResultCode code;
            while (!_codes.TryGetValue(correlation, out code))
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0) throw new TimeoutException($"saga {correlation} did not complete");
                Monitor.Wait(_codes, (int)Math.Min(left, 100));
            }

            return code;
        }
    }

    public void WaitCount(int count, int timeoutMs = 60_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        lock (_codes)
        {
            while (_codes.Count < count)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0) throw new TimeoutException($"{_codes.Count} of {count} sagas completed");
                Monitor.Wait(_codes, (int)Math.Min(left, 100));
            }
        }
    }

    public IReadOnlyDictionary<long, ResultCode> Codes => _codes;
}

/// <summary>N real partition engines in a temp directory, their routers, and a restartable saga coordinator.</summary>
internal sealed class CoordinatorCluster : IDisposable
{
    public static readonly LedgerCatalog Catalog = new([new LedgerDefinition(1, "USD", 2)]);
    private readonly string _root;
    private readonly WaitingHandler[] _handlers;
    private readonly SagaResultRouter[] _routers;
    private long _correlation;

    /// <param name="wrap">Optional: the result handler each engine starts with, around its saga router (replica step transports).</param>
    /// <param name="retentionCount">Each partition's idempotency window (transfers remembered by id).</param>
    public CoordinatorCluster(int partitions, Func<int, IPartitionResultHandler, IPartitionResultHandler>? wrap = null, int retentionCount = 1 << 18)
    {
        _root = Path.Combine(Path.GetTempPath(), "wallet-tests", "saga-" + Guid.NewGuid().ToString("N")[..12]);
        Map = PartitionMap.Uniform(partitions);
        _handlers = new WaitingHandler[partitions];
        _routers = new SagaResultRouter[partitions];
        var engines = new PartitionEngine[partitions];
        for (var p = 0; p < partitions; p++)
        {
            _handlers[p] = new WaitingHandler();
            _routers[p] = new SagaResultRouter(p, _handlers[p]);
            engines[p] = PartitionEngine.Start(new PartitionOptions
            {
                DataDirectory = Path.Combine(_root, "p" + p),
                Ledger = new LedgerOptions { Catalog = Catalog, MaxAccounts = 4096, MaxBatchSize = 1024, MaxPendingTransfers = 65_536, TransferRetentionCount = retentionCount },
                IngressRingSize = 1024, EgressRingSize = 1024, JournalSegmentSizeBytes = 4 << 20, MaxCommandBytes = 256 << 10,
                Fsync = FsyncPolicy.None, SnapshotIntervalCommands = 0, Wait = WaitKind.Blocking, EventJournal = false,
            }, wrap is null ? _routers[p] : wrap(p, _routers[p]));
        }

        Engines = engines;
    }

    public PartitionMap Map { get; }
    public IReadOnlyList<PartitionEngine> Engines { get; }
    public SagaCoordinator? Coordinator { get; private set; }

    public string SagaDirectory => Path.Combine(_root, "saga");

    public string Root => _root;

    public SagaCoordinator StartCoordinator(
        Func<SagaStep, bool>? sendFilter = null, long snapshotEveryCommands = 0, JournalRetention retention = JournalRetention.KeepAll, long segmentSizeBytes = 64L << 20)
    {
        Coordinator = SagaCoordinator.Start(new SagaCoordinatorOptions
        {
            DataDirectory = SagaDirectory,
            Saga = new SagaOptions { Map = Map, Catalog = Catalog, MaxActiveSagas = 4096, RetainedCompletedSagas = 4096, StepDeadlineNs = 10_000_000_000, MaxBatchSize = 256 },
            Fsync = FsyncPolicy.None, RetryIntervalNs = 100_000_000, TickIntervalNs = 10_000_000, InboxSize = 1 << 14, StepRingSize = 1 << 16,
            SendFilter = sendFilter, SnapshotEveryCommands = snapshotEveryCommands, JournalRetention = retention, JournalSegmentSizeBytes = segmentSizeBytes,
        }, Engines, _routers);
        return Coordinator;
    }

    /// <summary>
    /// Waits until the coordinator has no open saga: Saga mode answers Ok at the commit point, before the source's post
    /// is applied, so balances are final only once every saga has ended.
    /// </summary>
    public void WaitSettled(int timeoutMs = 30_000)
    {
        var coordinator = Coordinator ?? throw new InvalidOperationException("no coordinator running");
        var deadline = Environment.TickCount64 + timeoutMs;
        while (coordinator.OpenSagas != 0)
        {
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"{coordinator.OpenSagas} sagas still open after {timeoutMs} ms");
            Thread.Sleep(5);
        }
    }

    /// <summary>"Crash": the driver stops and its journal closes; nothing else is written on the way out.</summary>
    public void KillCoordinator()
    {
        Coordinator?.Dispose();
        Coordinator = null;
    }

    public ResultCode[] Run(int partition, CommandKind kind, ReadOnlySpan<byte> payload)
    {
        var correlation = Interlocked.Increment(ref _correlation);
        Assert.Equal(SubmitStatus.Accepted, Engines[partition].TrySubmit((ushort)kind, correlation, 1, payload));
        return _handlers[partition].Wait(correlation).Codes;
    }

    /// <summary>The account as its partition's BLP sees it now (zeroed if absent).</summary>
    public Account Account(UInt128 id)
    {
        var p = Map.PartitionOf(id);
        var correlation = Interlocked.Increment(ref _correlation);
        Assert.Equal(SubmitStatus.Accepted, Engines[p].TrySubmit(QueryKind.LookupAccounts, correlation, 1, MemoryMarshal.AsBytes(new[] { id }.AsSpan())));
        var payload = _handlers[p].Wait(correlation).Payload;
        return payload.Length == Wallet.Engine.Ledger.Account.SizeBytes ? MemoryMarshal.Read<Account>(payload) : default;
    }

    /// <summary>The clearing account of <paramref name="ledger"/> in <paramref name="partition"/>.</summary>
    public Account Clearing(int partition, uint ledger = 1)
    {
        new ClearingAccounts(Map, Catalog).TryGet(partition, ledger, out var id);
        var correlation = Interlocked.Increment(ref _correlation);
        Assert.Equal(SubmitStatus.Accepted, Engines[partition].TrySubmit(QueryKind.LookupAccounts, correlation, 1, MemoryMarshal.AsBytes(new[] { id }.AsSpan())));
        var payload = _handlers[partition].Wait(correlation).Payload;
        Assert.Equal(Wallet.Engine.Ledger.Account.SizeBytes, payload.Length);
        return MemoryMarshal.Read<Account>(payload);
    }

    public long NextCorrelation() => Interlocked.Increment(ref _correlation);

    public ResultCode Transfer1(Transfer t) => Run(Map.PartitionOf(t.DebitAccountId), CommandKind.CreateTransfers, MemoryMarshal.AsBytes(new[] { t }.AsSpan()))[0];

    /// <summary>Creates funded customers: ids given, 1000.00 each, from a bank account per partition.</summary>
    public void Fund(params UInt128[] ids)
    {
        foreach (var id in ids)
        {
            var p = Map.PartitionOf(id);
            UInt128 bank = ((UInt128)1 << 100) + (uint)p;
            var accounts = new[] { new Account { Id = bank, Ledger = 1, Code = 1 }, new Account { Id = id, Ledger = 1, Code = 1, Flags = AccountFlags.DebitsMustNotExceedCredits } };
            Run(p, CommandKind.CreateAccounts, MemoryMarshal.AsBytes(accounts.AsSpan()));
            // The bank lives wherever it was created (partition p), not where the map would put its id: submit there.
            var funding = new[] { new Transfer { Id = ((UInt128)1 << 101) + id, DebitAccountId = bank, CreditAccountId = id, Amount = 100_000, Ledger = 1, Code = 1 } };
            Assert.Equal([ResultCode.Ok], Run(p, CommandKind.CreateTransfers, MemoryMarshal.AsBytes(funding.AsSpan())));
        }
    }

    public void Dispose()
    {
        KillCoordinator();
        foreach (var e in Engines) e.Stop(TimeSpan.FromSeconds(10), snapshot: false);
        foreach (var e in Engines) e.Dispose();
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }
}
