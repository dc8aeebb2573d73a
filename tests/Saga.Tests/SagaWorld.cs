using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Saga.Tests;

/// <summary>Fault rates of a <see cref="SagaWorld"/> (all zero = a perfect network, nothing crashes).</summary>
public sealed record SagaFaults
{
    public double Loss { get; init; }
    public double Duplicate { get; init; }
    public long MinDelayNs { get; init; } = 1_000_000;
    public long MaxDelayNs { get; init; } = 1_000_000;
    /// <summary>Chance per millisecond that the sequencer crashes (it restarts 1..20 ms later from its journal).</summary>
    public double SequencerCrash { get; init; }
    /// <summary>Chance per millisecond that a partition crashes (restarts from its snapshot + journal).</summary>
    public double PartitionCrash { get; init; }

    public static SagaFaults None { get; } = new();

    public static SagaFaults Chaos { get; } = new()
    {
        Loss = 0.1, Duplicate = 0.1, MinDelayNs = 500_000, MaxDelayNs = 30_000_000, SequencerCrash = 0.01, PartitionCrash = 0.005,
    };
}

/// <summary>
/// A deterministic world (one thread, simulated clock, seeded): N partitions (LedgerStateMachine + an in-memory command
/// journal + snapshots each), the saga sequencer (SagaStateMachine + its journal + snapshots), and a network between them
/// that loses, duplicates, delays and reorders messages. Drives the sequencer the way <see cref="SagaCoordinator"/> does
/// (journal, apply, send, retry with the same step ids, replay on restart) and checks the invariants after every step.
/// </summary>
public sealed class SagaWorld
{
    public const long Millisecond = 1_000_000;
    private const long StartNs = 1_700_000_000_000_000_000;
    private const long RetryNs = 40 * Millisecond;
    private const long TickNs = 10 * Millisecond;

    private readonly Random _rng;
    private readonly SagaFaults _faults;
    private readonly LedgerOptions _ledgerOptions;
    private readonly SimPartition[] _partitions;
    private readonly PriorityQueue<Message, (long, long)> _network = new();
    private long _messageSeq;
    private readonly List<(SagaCommandKind Kind, byte[] Payload, long Index, long Timestamp)> _sagaJournal = [];
    private byte[]? _sagaSnapshot;
    private int _sagaSnapshotJournalCount;
    private long _sequencerDownUntil = -1;
    private readonly List<StepSent> _steps = [];
    private readonly List<Completed> _completions = [];
    private readonly Dictionary<long, Begun> _begun = [];
    private readonly Dictionary<ulong, Begun> _bySaga = [];
    private readonly Dictionary<UInt128, long> _expectedNet = [];
    private readonly List<UInt128> _customers = [];
    private long _nextCorrelation = 1;
    private UInt128 _nextTransferId = 1_000_000;
    private long _nextRetry;
    private long _nextTick;

    public SagaWorld(int seed, int partitions, SagaFaults faults, long stepDeadlineNs = 2_000 * Millisecond)
    {
        Seed = seed;
        _rng = new Random(seed);
        _faults = faults;
        Now = StartNs;
        Map = PartitionMap.Uniform(partitions);
        var catalog = new LedgerCatalog([new LedgerDefinition(1, "USD", 2), new LedgerDefinition(2, "EUR", 2)]);
        _ledgerOptions = new LedgerOptions
        {
            Catalog = catalog, MaxAccounts = 1024, MaxBatchSize = 64, MaxPendingTransfers = 4096, TransferRetentionCount = 200_000,
        };
        SagaOptions = new SagaOptions { Map = Map, Catalog = catalog, MaxActiveSagas = 256, RetainedCompletedSagas = 4096, StepDeadlineNs = stepDeadlineNs };
        Sequencer = new SagaStateMachine(SagaOptions);
        _partitions = new SimPartition[partitions];
        for (var p = 0; p < partitions; p++)
        {
            _partitions[p] = new SimPartition(_ledgerOptions);
            _partitions[p].Execute(CommandKind.SystemCreateAccounts, MemoryMarshal.AsBytes(Sequencer.Clearing.AccountsOf(p).AsSpan()), Now);
        }

        // Customers (debits must not exceed credits) funded from one bank account per (partition, ledger).
        for (var id = (UInt128)1; _customers.Count < 12 * partitions; id++)
        {
            var p = Map.PartitionOf(id);
            var ledger = (uint)(id % 2 + 1);
            var bank = BankOf(p, ledger);
            var accounts = new[]
            {
                new Account { Id = bank, Ledger = ledger, Code = 1 },
                new Account { Id = id, Ledger = ledger, Code = 1, Flags = AccountFlags.DebitsMustNotExceedCredits },
            };
            _partitions[p].Execute(CommandKind.CreateAccounts, MemoryMarshal.AsBytes(accounts.AsSpan()), Now);
            var funding = new[] { new Transfer { Id = _nextTransferId++, DebitAccountId = bank, CreditAccountId = id, Amount = 1_000, Ledger = ledger, Code = 1 } };
            var codes = _partitions[p].Execute(CommandKind.CreateTransfers, MemoryMarshal.AsBytes(funding.AsSpan()), Now);
            if (codes[0] != ResultCode.Ok) throw new InvalidOperationException($"funding failed: {codes[0]}");
            _customers.Add(id);
            _expectedNet[id] = 1_000;
        }
    }

    private static UInt128 BankOf(int partition, uint ledger) => ((UInt128)1 << 100) + (uint)(partition * 16) + ledger;

    public int Seed { get; }
    public long Now { get; private set; }
    public PartitionMap Map { get; }
    public SagaOptions SagaOptions { get; }
    public SagaStateMachine Sequencer { get; private set; }
    public IReadOnlyList<Completed> Completions => _completions;
    public int SequencerCrashes { get; private set; }
    public int PartitionCrashes { get; private set; }
    public int BegunCount => _begun.Count;
    public int CommittedCount { get; private set; }
    public int FailedCount { get; private set; }
    public int LockRefusals { get; private set; }
    public int SequencerCommandCount => _sagaJournal.Count;
    public bool SequencerUp => _sequencerDownUntil < 0;

    public LedgerStateMachine Partition(int p) => _partitions[p].Machine;

    private sealed record Begun(long CorrelationId, Transfer Transfer, SagaMode Mode)
    {
        public ulong SagaId { get; set; }
        public ResultCode? Outcome { get; set; }
    }

    private readonly record struct Message(bool ToSequencer, int Partition, Transfer Step, ulong SagaId, SagaStep SagaStep, ResultCode Code);

    // ---- driving --------------------------------------------------------------------------------------------

    /// <summary>Begins a cross-partition transfer between two random customers (same ledger, different partitions).</summary>
    public long BeginRandom(SagaMode mode, bool linked = false)
    {
        UInt128 from, to;
        do
        {
            from = _customers[_rng.Next(_customers.Count)];
            to = _customers[_rng.Next(_customers.Count)];
        }
        while (from % 2 != to % 2 || Map.PartitionOf(from) == Map.PartitionOf(to));

        // Some are larger than any balance can be (the hold fails), some go to a missing account (the credit fails).
        var amount = _rng.Next(10) == 0 ? 5_000 : _rng.Next(1, 300);
        if (_rng.Next(12) == 0)
        {
            to = (UInt128)_rng.Next(100_000, 200_000) * 2 + (from % 2);
            if (Map.PartitionOf(to) == Map.PartitionOf(from)) to += 2;
        }

        var t = new Transfer
        {
            Id = _nextTransferId++, DebitAccountId = from, CreditAccountId = to, Amount = amount, Ledger = (uint)(from % 2 + 1), Code = 7,
            Flags = linked ? TransferFlags.Linked : TransferFlags.None,
        };
        return Begin(in t, mode);
    }

    /// <summary>Repeats the Begin of <paramref name="correlation"/> (same transfer, same mode) as a client retry would.</summary>
    public long Repeat(long correlation) => Begin(_begun[correlation].Transfer, _begun[correlation].Mode);

    public long Begin(in Transfer t, SagaMode mode)
    {
        var correlation = _nextCorrelation++;
        _begun[correlation] = new Begun(correlation, t, mode);
        var payload = new byte[SagaCommands.BeginSizeBytes];
        SagaCommands.WriteBegin(payload, in t, correlation, mode);
        // While the sequencer is down nothing accepts the request (the coordinator's TrySubmit says false, i.e. Busy):
        // recorded as refused with a placeholder code; no saga exists for it and the model does not change.
        if (!SequencerUp) _begun[correlation].Outcome = ResultCode.SagaTableFull;
        else SequencerExecute(SagaCommandKind.Begin, payload);
        return correlation;
    }

    /// <summary>A client transfer within one partition (exercises 2PC locks); the model follows its outcome.</summary>
    public void DirectTransferRandom()
    {
        var p = _rng.Next(_partitions.Length);
        if (!_partitions[p].Up) return;
        UInt128 from = 0, to = 0;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            from = _customers[_rng.Next(_customers.Count)];
            to = _customers[_rng.Next(_customers.Count)];
            if (from != to && from % 2 == to % 2 && Map.PartitionOf(from) == p && Map.PartitionOf(to) == p) break;
            from = 0;
        }

        if (from == 0) return;
        var amount = _rng.Next(1, 50);
        var items = new[] { new Transfer { Id = _nextTransferId++, DebitAccountId = from, CreditAccountId = to, Amount = amount, Ledger = (uint)(from % 2 + 1), Code = 3 } };
        var code = _partitions[p].Execute(CommandKind.CreateTransfers, MemoryMarshal.AsBytes(items.AsSpan()), Now)[0];
        if (code == ResultCode.AccountLocked) LockRefusals++;
        if (code != ResultCode.Ok) return;
        _expectedNet[from] -= amount;
        _expectedNet[to] += amount;
    }

    /// <summary>Advances one simulated millisecond: faults, deliveries (checking invariants after each), ticks and retries.</summary>
    public void Step(bool faults = true)
    {
        Now += Millisecond;
        if (faults) MaybeCrash();
        if (_sequencerDownUntil >= 0 && Now >= _sequencerDownUntil) RestartSequencer();
        foreach (var partition in _partitions)
        {
            if (!partition.Up && Now >= partition.DownUntil) partition.Restart();
        }

        while (_network.TryPeek(out _, out var due) && due.Item1 <= Now)
        {
            var m = _network.Dequeue();
            Deliver(in m, faults);
            CheckInvariants();
        }

        if (!SequencerUp) return;
        if (Now >= _nextTick)
        {
            _nextTick = Now + TickNs;
            SequencerExecute(SagaCommandKind.Tick, []);
        }

        if (Now >= _nextRetry)
        {
            _nextRetry = Now + RetryNs;
            var sink = new CollectingSink(_steps, _completions);
            Sequencer.EmitOutstanding(Now - RetryNs, ref sink);
            Flush(faults);
        }

        CheckInvariants();
    }

    /// <summary>Runs without faults until every saga has ended and the network is empty (bounded).</summary>
    public void Heal(int maxMilliseconds = 60_000)
    {
        for (var i = 0; i < maxMilliseconds; i++)
        {
            Step(faults: false);
            if (SequencerUp && Sequencer.ActiveCount == 0 && _network.Count == 0 && AllPartitionsUp()) return;
        }

        throw new InvalidOperationException($"seed {Seed}: {Sequencer.ActiveCount} sagas still open after healing");
    }

    private bool AllPartitionsUp()
    {
        foreach (var p in _partitions) if (!p.Up) return false;
        return true;
    }

    /// <summary>Crashes the sequencer now (restarted later by <see cref="Step"/> or at once by <see cref="RestartSequencer"/>).</summary>
    public void CrashSequencer(long downNs)
    {
        SequencerCrashes++;
        _sequencerDownUntil = Now + downNs;
    }

    public void RestartSequencer()
    {
        var before = Sequencer.ComputeDigest();
        // Half the time from the newest snapshot plus the journal tail, else the whole journal from empty.
        SagaStateMachine machine;
        var from = 0;
        if (_sagaSnapshot is not null && _rng.Next(2) == 0)
        {
            machine = SagaStateMachine.Restore(SagaOptions, new MemoryStream(_sagaSnapshot));
            from = _sagaSnapshotJournalCount;
        }
        else
        {
            machine = new SagaStateMachine(SagaOptions);
        }

        var discard = new CollectingSink([], []);
        for (var i = from; i < _sagaJournal.Count; i++)
        {
            var c = _sagaJournal[i];
            machine.Execute(new CommandStamp(c.Index, 1, c.Timestamp), c.Kind, c.Payload, ref discard);
        }

        if (machine.ComputeDigest() != before) throw new InvalidOperationException($"seed {Seed}: sequencer replay diverged");
        Sequencer = machine;
        _sequencerDownUntil = -1;
        var sink = new CollectingSink(_steps, _completions);
        Sequencer.EmitOutstanding(long.MaxValue, ref sink);
        Flush(faults: true);
    }

    private void MaybeCrash()
    {
        if (SequencerUp && _rng.NextDouble() < _faults.SequencerCrash) CrashSequencer(_rng.Next(1, 20) * Millisecond);
        if (_rng.NextDouble() < _faults.PartitionCrash)
        {
            var p = _partitions[_rng.Next(_partitions.Length)];
            if (p.Up)
            {
                PartitionCrashes++;
                p.Crash(Now + (_rng.Next(1, 30) * Millisecond), _rng.Next(3) == 0);
            }
        }
    }

    private void SequencerExecute(SagaCommandKind kind, byte[] payload)
    {
        var stamp = new CommandStamp(Sequencer.LastIndex + 1, 1, Math.Max(Now, Sequencer.LastTimestamp));
        // Journal first, then apply: what the machine decided is always reproducible from the journal.
        _sagaJournal.Add((kind, payload, stamp.Index, stamp.Timestamp));
        var sink = new CollectingSink(_steps, _completions);
        var result = Sequencer.Execute(stamp, kind, payload, ref sink);
        if (result != SagaCommandResult.Ok) throw new InvalidOperationException($"seed {Seed}: sequencer refused its own command: {result}");
        if (_sagaJournal.Count % 64 == 0)
        {
            var bytes = new MemoryStream();
            Sequencer.WriteTo(bytes);
            _sagaSnapshot = bytes.ToArray();
            _sagaSnapshotJournalCount = _sagaJournal.Count;
        }

        Flush(faults: true);
    }

    private void Flush(bool faults)
    {
        foreach (var s in _steps) Send(new Message(false, s.Partition, s.Step, 0, 0, 0), faults);
        _steps.Clear();
        foreach (var c in _completions) OnCompleted(in c);
        _completions.Clear();
    }

    private void Send(Message m, bool faults)
    {
        if (faults && _rng.NextDouble() < _faults.Loss) return;
        var copies = faults && _rng.NextDouble() < _faults.Duplicate ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            var delay = _faults.MinDelayNs + (long)(_rng.NextDouble() * (_faults.MaxDelayNs - _faults.MinDelayNs));
            _network.Enqueue(m, (Now + delay, _messageSeq++));
        }
    }

    private void Deliver(in Message m, bool faults)
    {
        if (m.ToSequencer)
        {
            if (!SequencerUp) return; // lost with the crashed process; the retry brings it again
            var payload = new byte[SagaCommands.OutcomeSizeBytes];
            SagaCommands.WriteOutcome(payload, m.SagaId, m.SagaStep, m.Code);
            SequencerExecute(SagaCommandKind.StepOutcome, payload);
            return;
        }

        var partition = _partitions[m.Partition];
        if (!partition.Up) return;
        var items = new[] { m.Step };
        var code = partition.Execute(CommandKind.SystemTransfers, MemoryMarshal.AsBytes(items.AsSpan()), Now)[0];
        if (!SagaCommands.TryParseStepId(m.Step.Id, out var sagaId, out var step)) throw new InvalidOperationException("not a step id");
        Send(new Message(true, m.Partition, default, sagaId, step, code), faults);
    }

    private void OnCompleted(in Completed c)
    {
        if (!_begun.TryGetValue(c.CorrelationId, out var b)) throw new InvalidOperationException($"seed {Seed}: completion for unknown correlation {c.CorrelationId}");
        if (b.Outcome is not null) throw new InvalidOperationException($"seed {Seed}: correlation {c.CorrelationId} answered twice");
        b.Outcome = c.Code;
        b.SagaId = c.SagaId;
        if (c.SagaId == 0 || c.Code == ResultCode.SagaInProgress) return;
        if (_bySaga.TryGetValue(c.SagaId, out var first))
        {
            // A repeated Begin of an ended saga: must carry the original outcome, and changes nothing.
            if (first.CorrelationId == c.CorrelationId || first.Outcome != c.Code)
                throw new InvalidOperationException($"seed {Seed}: saga {c.SagaId} completed twice ({first.Outcome}, then {c.Code})");
            return;
        }

        _bySaga.Add(c.SagaId, b);
        if (c.Code == ResultCode.Ok)
        {
            CommittedCount++;
            _expectedNet[b.Transfer.DebitAccountId] -= b.Transfer.Amount;
            _expectedNet[b.Transfer.CreditAccountId] += b.Transfer.Amount;
        }
        else
        {
            FailedCount++;
        }
    }

    public ResultCode? OutcomeOf(long correlation) => _begun[correlation].Outcome;

    // ---- invariants -----------------------------------------------------------------------------------------

    /// <summary>
    /// After every step: each partition's own invariants (double entry, limits, holds backed); per partition and ledger
    /// the clearing account equals exactly what the saga step records there say (so no step applied twice or without
    /// its saga); every ended saga's steps agree with its outcome (so nothing applies after a decision); no anomalies.
    /// </summary>
    public void CheckInvariants()
    {
        if (Sequencer.Anomalies != 0) throw new InvalidOperationException($"seed {Seed}: {Sequencer.Anomalies} anomalies");
        var n = _partitions.Length;
        var ledgers = Sequencer.Clearing.Ledgers;
        var netPosted = new Int128[n, 3];
        var creditsPending = new Int128[n, 3];
        var debitsPending = new Int128[n, 3];
        for (ulong id = 1; id < Sequencer.NextSagaId; id++)
        {
            // Every saga ever begun: the table may have forgotten old ones, the world has not.
            if (!SagaInfo(id, out var t, out var mode, out var src, out var dst)) continue;
            var sp = _partitions[src].Machine;
            var dp = _partitions[dst].Machine;
            var hold = State(sp, id, SagaStep.SourceHold);
            var credit = State(dp, id, SagaStep.DestCredit);
            var srcPosted = State(sp, id, SagaStep.SourcePost) != 0;
            var dstApplied = mode == SagaMode.Saga ? credit == TransferState.Settled : State(dp, id, SagaStep.DestPost) != 0;
            if (srcPosted) netPosted[src, t.Ledger] += t.Amount;
            if (dstApplied) netPosted[dst, t.Ledger] -= t.Amount;
            if (hold == TransferState.Pending) creditsPending[src, t.Ledger] += t.Amount;
            if (credit == TransferState.Pending) debitsPending[dst, t.Ledger] += t.Amount;
            if (_bySaga.TryGetValue(id, out var b) && b.Outcome is { } outcome)
            {
                if (Sequencer.TryGetSaga(id, out var row) && !row.IsTerminal)
                {
                    // Answered at the commit point (Saga mode only, Ok only): the destination holds the credit and the
                    // source's hold is still there to post (or already posted) — the Ok cannot be undone.
                    if (mode != SagaMode.Saga || outcome != ResultCode.Ok || !row.Answered || !dstApplied || !(hold == TransferState.Pending || srcPosted))
                        throw new InvalidOperationException($"seed {Seed}: saga {id} ({mode}) answered {outcome} while open ({row.Status}) but its steps say src posted={srcPosted}, dst applied={dstApplied}, hold={hold}, credit={credit}");
                    continue;
                }

                var committed = outcome == ResultCode.Ok;
                if (committed != srcPosted || committed != dstApplied || hold == TransferState.Pending || credit == TransferState.Pending)
                    throw new InvalidOperationException($"seed {Seed}: saga {id} ({mode}) ended {outcome} but its steps say src posted={srcPosted}, dst applied={dstApplied}, hold={hold}, credit={credit}");
            }
        }

        for (var p = 0; p < n; p++)
        {
            var m = _partitions[p].Machine;
            if (!LedgerInvariants.TryCheck(m, out var violation)) throw new InvalidOperationException($"seed {Seed}: partition {p}: {violation}");
            foreach (var ledger in ledgers)
            {
                Sequencer.Clearing.TryGet(p, ledger, out var clearingId);
                if (!m.TryGetAccount(clearingId, out var c)) throw new InvalidOperationException($"seed {Seed}: clearing account missing");
                if (c.CreditsPosted - c.DebitsPosted != netPosted[p, ledger] || c.CreditsPending != creditsPending[p, ledger] || c.DebitsPending != debitsPending[p, ledger])
                    throw new InvalidOperationException($"seed {Seed}: partition {p} ledger {ledger}: clearing {c.CreditsPosted - c.DebitsPosted}/{c.CreditsPending}/{c.DebitsPending} but steps say {netPosted[p, ledger]}/{creditsPending[p, ledger]}/{debitsPending[p, ledger]}");
            }
        }
    }

    /// <summary>At rest (after <see cref="Heal"/>): every saga answered, clearing accounts empty, every customer balance as the model says.</summary>
    public void CheckQuiescent()
    {
        CheckInvariants();
        foreach (var b in _begun.Values)
        {
            if (b.Outcome is null) throw new InvalidOperationException($"seed {Seed}: correlation {b.CorrelationId} never answered");
        }

        for (var p = 0; p < _partitions.Length; p++)
        {
            var m = _partitions[p].Machine;
            if (m.PendingTransferCount != 0 || m.LockedAccountCount != 0) throw new InvalidOperationException($"seed {Seed}: partition {p} still holds {m.PendingTransferCount} pending / {m.LockedAccountCount} locked");
        }

        foreach (var ledger in Sequencer.Clearing.Ledgers)
        {
            if (!ClearingBalancesAcrossPartitions(ledger)) throw new InvalidOperationException($"seed {Seed}: ledger {ledger} clearing accounts do not sum to zero");
        }

        foreach (var (id, expected) in _expectedNet)
        {
            var m = _partitions[Map.PartitionOf(id)].Machine;
            m.TryGetAccount(id, out var a);
            if (a.CreditsPosted - a.DebitsPosted != expected) throw new InvalidOperationException($"seed {Seed}: account {id} has {a.CreditsPosted - a.DebitsPosted}, expected {expected}");
        }
    }

    private bool ClearingBalancesAcrossPartitions(uint ledger)
    {
        Int128 sum = 0;
        for (var p = 0; p < _partitions.Length; p++)
        {
            Sequencer.Clearing.TryGet(p, ledger, out var clearingId);
            _partitions[p].Machine.TryGetAccount(clearingId, out var c);
            sum += c.CreditsPosted - c.DebitsPosted;
        }

        return sum == 0;
    }

    private bool SagaInfo(ulong sagaId, out Transfer t, out SagaMode mode, out int src, out int dst)
    {
        if (Sequencer.TryGetSaga(sagaId, out var r) || _bySaga.TryGetValue(sagaId, out _) && TryFromWorld(sagaId, out r))
        {
            t = r.Transfer;
            mode = r.Mode;
            src = r.SourcePartition;
            dst = r.DestPartition;
            return true;
        }

        t = default;
        mode = 0;
        src = dst = 0;
        return false;
    }

    private bool TryFromWorld(ulong sagaId, out SagaRecord r)
    {
        var b = _bySaga[sagaId];
        r = new SagaRecord
        {
            Transfer = b.Transfer, Mode = b.Mode, SagaId = sagaId,
            SourcePartition = (ushort)Map.PartitionOf(b.Transfer.DebitAccountId), DestPartition = (ushort)Map.PartitionOf(b.Transfer.CreditAccountId),
        };
        return true;
    }

    private static TransferState State(LedgerStateMachine m, ulong sagaId, SagaStep step) =>
        m.TryGetTransfer(SystemIds.StepTransferId(sagaId, (int)step), out _, out var state) ? state : 0;
}
