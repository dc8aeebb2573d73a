using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Replication;
using Wallet.Replication.Simulation;
using Wallet.Saga.Replicated;

namespace Wallet.Saga.Tests;

/// <summary>
/// Deterministic simulation of the REPLICATED saga sequencer (docs/SAGA.md, "Replicated sequencer"): three saga replicas —
/// each the product's <see cref="SagaReplicaCore"/> with a <see cref="RaftNode"/> and a <see cref="SagaStateMachine"/>, over
/// a simulated log, hard state and snapshot files — on the consensus simulator's <see cref="SimNetwork"/>, N ledger
/// partitions (<see cref="SimPartition"/>) behind a lossy, duplicating, reordering link, and clients that begin sagas of
/// every mode, resubmit on NotLeader, on a dropped connection or on a timeout, and repeat answered transfers. Each replica
/// stamps with its own skewed clock, which faults step forward or back. One thread,
/// simulated time (1 step = 1 ms), every random choice drawn from the seed. Faults: the saga leader killed mid-flight,
/// followers crashed and restarted (from snapshot + log, or from the log only), splits of the saga group's network that
/// force elections, lost and duplicated steps and answers, partition crashes. Checked after every step: one leader per
/// term, the same table digest at the same applied index on every replica, each partition's own invariants, money
/// conserved per ledger (customers + clearing accounts), each clearing account equal to what the step records say, and
/// every ended saga's steps agreeing with its outcome. Checked once healed: every transfer decided once (one saga per
/// transfer, every answer and resubmission the same outcome), every waiter answered, no hold or lock left, clearing
/// accounts back to zero, every balance as a model of the committed transfers says, every replica's digest equal.
/// Violations throw <see cref="SimFailureException"/> naming the seed.
/// </summary>
public sealed class ReplicatedSagaSim
{
    private const long StartNs = 1_700_000_000_000_000_000;
    private const int Replicas = 3;
    private const int CustomersPerPartition = 40;
    private const long FundingPerCustomer = 1_000;

    private readonly ReplicatedSagaFaults _faults;
    private readonly SimRandom _faultRandom;
    private readonly SimRandom _linkRandom;
    private readonly SimRandom _clientRandom;
    private readonly ManualClock _clock = new(StartNs);
    private readonly ManualClock[] _replicaClocks = new ManualClock[Replicas];
    private readonly long[] _skewNs = new long[Replicas];
    private readonly SimNetwork _raftNetwork;
    private readonly SimSagaReplica[] _replicas = new SimSagaReplica[Replicas];
    private readonly SimPartition[] _partitions;
    private readonly SagaStateMachine _reference; // clearing account ids (a function of the options)
    private readonly PriorityQueue<LinkMessage, (long AtMs, long Sequence)> _link = new();
    private long _linkSequence;
    private readonly List<UInt128> _customers = [];
    private readonly Dictionary<UInt128, long> _expectedNet = [];
    private readonly List<ClientTransfer> _transfers = [];
    private readonly List<ClientTransfer> _open = [];
    private readonly Dictionary<long, Attempt> _attempts = [];
    private readonly Dictionary<ulong, (Transfer Transfer, SagaMode Mode, int Source, int Dest)> _sagas = [];
    private readonly Dictionary<long, UInt128> _digestAt = [];
    private readonly long[] _digestCheckedAt = new long[Replicas];
    private readonly Dictionary<long, int> _leaderOfTerm = [];
    private readonly Completions _completions;
    private long _nextAttempt = 1;
    private UInt128 _nextTransferId = 1_000_000;
    private ulong _trace = 14695981039346656037UL;
    private int _lastLeader = -1;
    private readonly Action<string>? _progress;

    /// <param name="seed">Every random choice derives from it.</param>
    /// <param name="faults">The run's shape.</param>
    /// <param name="progress">Optional: a line every 100 simulated ms (roles, indexes, open sagas) for diagnosing a seed.</param>
    public ReplicatedSagaSim(int seed, ReplicatedSagaFaults faults, Action<string>? progress = null)
    {
        _progress = progress;
        ArgumentNullException.ThrowIfNull(faults);
        Seed = seed;
        _faults = faults;
        _completions = new Completions(this);
        var root = new SimRandom((ulong)seed);
        _faultRandom = root.Fork();
        _linkRandom = root.Fork();
        _clientRandom = root.Fork();
        _raftNetwork = new SimNetwork(root.Fork(), new SimOptions
        {
            MinDelayMs = 1, MaxDelayMs = faults.RaftMaxDelayMs, LossPerMillion = faults.RaftLossPerMillion, DuplicatePerMillion = faults.RaftDuplicatePerMillion,
        }, Replicas);
        Map = PartitionMap.Uniform(faults.Partitions);
        var catalog = new LedgerCatalog([new LedgerDefinition(1, "USD", 2), new LedgerDefinition(2, "EUR", 2)]);
        SagaOptions = new SagaOptions
        {
            Map = Map, Catalog = catalog, MaxActiveSagas = 1024, RetainedCompletedSagas = 8192, StepDeadlineNs = 300_000_000,
        };
        _reference = new SagaStateMachine(SagaOptions);
        var ledgerOptions = new LedgerOptions
        {
            Catalog = catalog, MaxAccounts = 1024, MaxBatchSize = 64, MaxPendingTransfers = 4096, TransferRetentionCount = 200_000,
        };
        _partitions = new SimPartition[faults.Partitions];
        for (var p = 0; p < _partitions.Length; p++) _partitions[p] = new SimPartition(ledgerOptions);
        FundCustomers();

        int[] members = [1, 2, 3];
        for (var i = 0; i < Replicas; i++)
        {
            var id = i + 1;
            // Small messages (as the consensus simulation's): entries carry at most 27 Begins, so bursts fill the core's
            // buffers and leave the rest in the inbox; snapshots travel in several chunks; flow control is exercised.
            const int maxMessageBytes = 4096;
            var raft = new RaftOptions
            {
                NodeId = id, Members = members, ElectionTimeoutMs = 60, HeartbeatIntervalMs = 15, ResendTimeoutMs = 30,
                MaxMessageBytes = maxMessageBytes, MaxInFlightBytesPerFollower = 32 << 10,
                MaxEntryPayloadBytes = maxMessageBytes - RaftOptions.AppendEntriesOverheadBytes - RaftOptions.EntryHeaderBytes,
                SnapshotChunkBytes = 3072, MaxSnapshotBytes = 64L << 20,
            };
            // Each replica stamps with its own clock, off the true time by a seeded skew (and stepped now and then).
            _skewNs[i] = _faultRandom.NextInt(-faults.ClockSkewMs, faults.ClockSkewMs + 1) * 1_000_000L;
            _replicaClocks[i] = new ManualClock(StartNs + _skewNs[i]);
            var replicaOptions = new SagaReplicaOptions
            {
                DataDirectory = "simulated", Saga = SagaOptions, Clock = _replicaClocks[i], RetryIntervalNs = 40_000_000, TickIntervalNs = 10_000_000,
                SnapshotEveryCommands = faults.SnapshotEveryCommands, RetainMarginEntries = 10,
                JournalRetention = faults.CompactLog ? JournalRetention.BeforeOldestSnapshot : JournalRetention.KeepAll,
            };
            replicaOptions.Validate();
            _replicas[i] = new SimSagaReplica(id, replicaOptions, raft, root.Fork(), new Outbox(this, id),
                (replica, life) => new SimStepTransport(this, replica, life, faults.Partitions));
            _replicas[i].Start(fromLogOnly: false);
        }
    }

    public int Seed { get; }

    public PartitionMap Map { get; }

    public SagaOptions SagaOptions { get; }

    /// <summary>Simulated milliseconds since the start.</summary>
    public long NowMs { get; private set; }

    public int LeaderKills { get; private set; }

    /// <summary>Sagas open in the killed leaders' tables when they were killed (mid-flight kills).</summary>
    public int OpenSagasAtLeaderKills { get; private set; }

    public int ReplicaCrashes { get; private set; }

    public int NetworkSplits { get; private set; }

    public int ClockSteps { get; private set; }

    public int PartitionCrashes { get; private set; }

    public int Resubmissions { get; private set; }

    public int Repeats { get; private set; }

    public int NotLeaderAnswers { get; private set; }

    public int LockRefusals { get; private set; }

    /// <summary>Begins refused with SagaTableFull (not an outcome: the client retries).</summary>
    public int TableFullRefusals { get; private set; }

    public int Committed { get; private set; }

    public int Failed { get; private set; }

    /// <summary>FNV-1a over everything that happened (answers, deliveries, leaders): equal for equal seeds.</summary>
    public ulong Trace => _trace;

    private sealed record ClientTransfer(Transfer Transfer, SagaMode Mode)
    {
        public ResultCode? Outcome { get; set; }
        public long InFlight { get; set; }
        public long SentAtMs { get; set; }
        public long NextTryMs { get; set; }
        public int Hint { get; set; } = -1;
    }

    private sealed record Attempt(ClientTransfer Client, int Replica, int Life);

    private enum LinkKind : byte
    {
        Steps = 1,
        Clearing = 2,
        StepAnswers = 3,
        ClearingAnswer = 4,
    }

    private sealed record LinkMessage(LinkKind Kind, int Replica, int Life, int Partition, Transfer[]? Steps, Account[]? Accounts, ResultCode[]? Codes);

    // ---- setup ----------------------------------------------------------------------------------------------

    private static UInt128 BankOf(int partition, uint ledger) => ((UInt128)1 << 100) + (uint)(partition * 16) + ledger;

    private void FundCustomers()
    {
        for (var id = (UInt128)1; _customers.Count < CustomersPerPartition * _partitions.Length; id++)
        {
            var p = Map.PartitionOf(id);
            var ledger = (uint)(id % 2 + 1);
            var accounts = new[]
            {
                new Account { Id = BankOf(p, ledger), Ledger = ledger, Code = 1 },
                new Account { Id = id, Ledger = ledger, Code = 1, Flags = AccountFlags.DebitsMustNotExceedCredits },
            };
            _partitions[p].Execute(CommandKind.CreateAccounts, MemoryMarshal.AsBytes(accounts.AsSpan()), StartNs);
            var funding = new[] { new Transfer { Id = _nextTransferId++, DebitAccountId = BankOf(p, ledger), CreditAccountId = id, Amount = FundingPerCustomer, Ledger = ledger, Code = 1 } };
            if (_partitions[p].Execute(CommandKind.CreateTransfers, MemoryMarshal.AsBytes(funding.AsSpan()), StartNs)[0] != ResultCode.Ok)
                throw new InvalidOperationException("funding failed");
            _customers.Add(id);
            _expectedNet[id] = FundingPerCustomer;
        }
    }

    // ---- the run --------------------------------------------------------------------------------------------

    /// <summary>Runs the fault phase, heals everything, runs until converged (bounded) and checks the end state.</summary>
    public ReplicatedSagaResult Run()
    {
        for (var ms = 0; ms < _faults.FaultMs; ms++) Step(faults: true);
        HealEverything();
        for (var ms = 0; ms < _faults.MaxHealMs; ms++)
        {
            Step(faults: false);
            if (Converged())
            {
                CheckFinal();
                return Result();
            }
        }

        throw Fail($"no convergence {_faults.MaxHealMs} ms after healing: {Describe()}");
    }

    private void Step(bool faults)
    {
        NowMs++;
        _clock.Set(StartNs + (NowMs * 1_000_000));
        if (faults) InjectFaults();
        for (var i = 0; i < Replicas; i++) _replicaClocks[i].Set(_clock.UtcNowNs() + _skewNs[i]);
        foreach (var p in _partitions)
        {
            if (!p.Up && NowMs * 1_000_000 >= p.DownUntil) p.Restart();
        }

        while (_raftNetwork.TryDequeue(NowMs, out var message)) _replicas[message.To - 1].Core?.Node.Receive(message.From, message.Bytes, NowMs);
        while (_link.TryPeek(out _, out var due) && due.AtMs <= NowMs) Deliver(_link.Dequeue(), faults);
        // A crash between receiving (appends not yet synced) and the loop's flush: the unsynced tail may be lost or torn.
        if (faults && _faultRandom.Chance(_faults.ReplicaCrashPerMillion / 2)) CrashReplica(_replicas[_faultRandom.NextInt(0, Replicas)]);
        StepClients(faults);
        foreach (var r in _replicas)
        {
            if (r.Up) r.Loop(NowMs);
        }

        ObserveLeaders();
        LearnSagas();
        CheckInvariants();
        if (_progress is not null && NowMs % 100 == 0) _progress($"{NowMs} ms: {Describe()}");
    }

    private void InjectFaults()
    {
        if (_faultRandom.Chance(_faults.LeaderKillPerMillion) && CurrentLeader() is { } leader) KillLeader(leader);
        foreach (var at in _faults.LeaderKillsAtMs)
        {
            if (at == NowMs && CurrentLeader() is { } scripted) KillLeader(scripted);
        }

        if (_faultRandom.Chance(_faults.ReplicaCrashPerMillion / 2)) CrashReplica(_replicas[_faultRandom.NextInt(0, Replicas)]);
        if (_faultRandom.Chance(_faults.ReplicaRestartPerMillion))
        {
            var r = _replicas[_faultRandom.NextInt(0, Replicas)];
            if (!r.Up) r.Start(fromLogOnly: _faultRandom.Chance(500_000));
        }

        if (_faultRandom.Chance(_faults.ClockStepPerMillion))
        {
            // An NTP step: one replica's clock jumps forward or back (its stamps stay monotonic: the log's floor).
            ClockSteps++;
            _skewNs[_faultRandom.NextInt(0, Replicas)] = _faultRandom.NextInt(-3 * _faults.ClockSkewMs, (3 * _faults.ClockSkewMs) + 1) * 1_000_000L;
        }

        if (_faultRandom.Chance(_faults.NetworkPartitionPerMillion)) SplitNetwork();
        if (_faultRandom.Chance(_faults.NetworkHealPerMillion)) _raftNetwork.HealAll();
        if (_faultRandom.Chance(_faults.PartitionCrashPerMillion))
        {
            var p = _partitions[_faultRandom.NextInt(0, _partitions.Length)];
            if (p.Up)
            {
                PartitionCrashes++;
                p.Crash((NowMs + _faultRandom.NextInt(1, 31)) * 1_000_000, fromScratch: _faultRandom.NextInt(0, 3) == 0);
            }
        }
    }

    private void KillLeader(SimSagaReplica leader)
    {
        LeaderKills++;
        OpenSagasAtLeaderKills += leader.Core!.Machine.ActiveCount;
        CrashReplica(leader);
    }

    private void SplitNetwork()
    {
        NetworkSplits++;
        switch (_faultRandom.NextInt(0, 3))
        {
            case 0: // isolate one replica both ways (if it led, a new leader is elected by the other two)
            {
                var a = _faultRandom.NextInt(1, Replicas + 1);
                for (var b = 1; b <= Replicas; b++)
                {
                    if (b == a) continue;
                    _raftNetwork.Cut(a, b);
                    _raftNetwork.Cut(b, a);
                }

                break;
            }
            case 1: // one direction of one link
            {
                var a = _faultRandom.NextInt(1, Replicas + 1);
                var b = _faultRandom.NextInt(1, Replicas);
                if (b >= a) b++;
                _raftNetwork.Cut(a, b);
                break;
            }
            default: // isolate the leader, whichever it is
            {
                if (CurrentLeader() is not { } leader) break;
                for (var b = 1; b <= Replicas; b++)
                {
                    if (b == leader.Id) continue;
                    _raftNetwork.Cut(leader.Id, b);
                    _raftNetwork.Cut(b, leader.Id);
                }

                break;
            }
        }
    }

    private void CrashReplica(SimSagaReplica r)
    {
        if (!r.Up) return;
        ReplicaCrashes++;
        var life = r.Life;
        r.Crash();
        Mix(0xC0DE, (ulong)r.Id, (ulong)life);
        // Its waiters are gone with the process: their clients see the connection drop and resubmit.
        var lost = new List<long>();
        foreach (var (attempt, a) in _attempts)
        {
            if (a.Replica == r.Id && a.Life == life) lost.Add(attempt);
        }

        foreach (var attempt in lost)
        {
            var client = _attempts[attempt].Client;
            _attempts.Remove(attempt);
            if (client.InFlight == attempt)
            {
                client.InFlight = 0;
                client.NextTryMs = NowMs + 1;
                client.Hint = -1;
            }
        }
    }

    private SimSagaReplica? CurrentLeader()
    {
        SimSagaReplica? leader = null;
        foreach (var r in _replicas)
        {
            if (r.Core is { } core && core.Role == RaftRole.Leader && (leader is null || core.Term > leader.Core!.Term)) leader = r;
        }

        return leader;
    }

    private void HealEverything()
    {
        _raftNetwork.HealAll();
        _raftNetwork.Lossy = false;
        foreach (var r in _replicas)
        {
            if (!r.Up) r.Start(fromLogOnly: _faultRandom.Chance(500_000));
        }
    }

    // ---- the links to the partitions ------------------------------------------------------------------------

    internal void SendSteps(int replica, int life, int partition, Transfer[] steps) =>
        Send(new LinkMessage(LinkKind.Steps, replica, life, partition, steps, null, null), lossy: true);

    internal void SendClearingAccounts(int replica, int life, int partition, Account[] accounts) =>
        Send(new LinkMessage(LinkKind.Clearing, replica, life, partition, null, accounts, null), lossy: true);

    private void Send(LinkMessage m, bool lossy)
    {
        if (lossy && _linkRandom.Chance(_faults.LinkLossPerMillion)) return;
        var copies = lossy && _linkRandom.Chance(_faults.LinkDuplicatePerMillion) ? 2 : 1;
        for (var i = 0; i < copies; i++) _link.Enqueue(m, (NowMs + _linkRandom.NextInt(1, _faults.LinkMaxDelayMs + 1), _linkSequence++));
    }

    private void Deliver(LinkMessage m, bool faults)
    {
        Mix((ulong)m.Kind, (ulong)m.Partition, ((ulong)m.Replica << 32) | (uint)m.Life);
        switch (m.Kind)
        {
            case LinkKind.Steps:
            {
                var partition = _partitions[m.Partition];
                if (!partition.Up) return; // lost with the crashed process; the leader resends
                var codes = partition.Execute(CommandKind.SystemTransfers, MemoryMarshal.AsBytes(m.Steps.AsSpan()), _clock.UtcNowNs());
                Send(m with { Kind = LinkKind.StepAnswers, Codes = codes }, faults);
                return;
            }
            case LinkKind.Clearing:
            {
                var partition = _partitions[m.Partition];
                if (!partition.Up) return;
                var codes = partition.Execute(CommandKind.SystemCreateAccounts, MemoryMarshal.AsBytes(m.Accounts.AsSpan()), _clock.UtcNowNs());
                foreach (var code in codes)
                {
                    if (code is not (ResultCode.Ok or ResultCode.Exists)) throw Fail($"clearing account creation on partition {m.Partition} answered {code}");
                }

                Send(m with { Kind = LinkKind.ClearingAnswer, Codes = codes }, faults);
                return;
            }
            case LinkKind.StepAnswers:
            {
                var r = _replicas[m.Replica - 1];
                if (!r.Up || r.Life != m.Life) return; // the connection died with that life
                for (var i = 0; i < m.Steps!.Length; i++) r.OnStepResult(m.Steps[i].Id, m.Codes![i]);
                return;
            }
            default:
            {
                var r = _replicas[m.Replica - 1];
                if (r.Up && r.Life == m.Life) r.Transport!.OnClearingAnswered(m.Partition);
                return;
            }
        }
    }

    // ---- clients ------------------------------------------------------------------------------------------

    private void StepClients(bool faults)
    {
        if (faults && _clientRandom.Chance(_faults.NewTransferPerMillion)) NewTransfer();
        if (faults && _clientRandom.Chance(_faults.BurstPerMillion))
        {
            // Many clients at once (a gateway flushing a batch): more Begins than one entry holds.
            for (var i = _clientRandom.NextInt(20, 61); i > 0; i--) NewTransfer();
        }

        if (faults && _transfers.Count > 0 && _clientRandom.Chance(_faults.RepeatAnsweredPerMillion))
        {
            // A client repeating a transfer it already has the answer to (a retry after a lost reply): same outcome.
            var t = _transfers[_clientRandom.NextInt(0, _transfers.Count)];
            if (t.Outcome is not null)
            {
                Repeats++;
                Submit(t, tracked: false);
            }
        }

        if (faults && _clientRandom.Chance(_faults.DirectTransferPerMillion)) DirectTransfer();
        for (var i = _open.Count - 1; i >= 0; i--)
        {
            var t = _open[i];
            if (t.Outcome is not null)
            {
                _open.RemoveAt(i);
                continue;
            }

            if (t.InFlight != 0 && NowMs - t.SentAtMs >= _faults.ClientTimeoutMs)
            {
                // No answer yet (an isolated leader, a long election): resubmit; the old attempt may still answer.
                t.InFlight = 0;
                t.Hint = -1;
            }

            if (t.InFlight == 0 && NowMs >= t.NextTryMs) Submit(t, tracked: true);
        }
    }

    private void NewTransfer()
    {
        UInt128 from, to;
        do
        {
            from = _customers[_clientRandom.NextInt(0, _customers.Count)];
            to = _customers[_clientRandom.NextInt(0, _customers.Count)];
        }
        while (from % 2 != to % 2 || Map.PartitionOf(from) == Map.PartitionOf(to));

        // Some are larger than any balance can be (the hold fails), some go to a missing account (the credit fails).
        long amount = _clientRandom.NextInt(0, 10) == 0 ? 5_000 : _clientRandom.NextInt(1, 300);
        if (_clientRandom.NextInt(0, 12) == 0)
        {
            to = ((UInt128)(uint)_clientRandom.NextInt(100_000, 200_000) * 2) + (from % 2);
            while (Map.PartitionOf(to) == Map.PartitionOf(from)) to += 2;
        }

        var transfer = new Transfer { Id = _nextTransferId++, DebitAccountId = from, CreditAccountId = to, Amount = amount, Ledger = (uint)(from % 2 + 1), Code = 7 };
        var t = new ClientTransfer(transfer, (SagaMode)_clientRandom.NextInt(1, 4));
        _transfers.Add(t);
        _open.Add(t);
        Submit(t, tracked: true);
    }

    private void Submit(ClientTransfer t, bool tracked)
    {
        var target = t.Hint is >= 1 and <= Replicas ? t.Hint : _clientRandom.NextInt(1, Replicas + 1);
        var r = _replicas[target - 1];
        var attempt = _nextAttempt++;
        var status = r.TrySubmit(t.Transfer, t.Mode, attempt, _completions);
        Mix(0x5B, (ulong)attempt, ((ulong)target << 8) | (ulong)status);
        if (!tracked)
        {
            if (status == SagaReplicaSubmit.Accepted) _attempts[attempt] = new Attempt(t, target, r.Life);
            return;
        }

        switch (status)
        {
            case SagaReplicaSubmit.Accepted:
                Resubmissions += t.SentAtMs > 0 ? 1 : 0; // the same transfer accepted again (NotLeader, dropped connection, timeout)
                _attempts[attempt] = new Attempt(t, target, r.Life);
                t.InFlight = attempt;
                t.SentAtMs = NowMs;
                break;
            case SagaReplicaSubmit.NotLeader:
                t.Hint = r.Core!.LeaderId;
                t.NextTryMs = NowMs + (t.Hint == target || t.Hint < 1 ? 5 : 1);
                if (t.Hint == target) t.Hint = -1;
                break;
            default:
                t.Hint = -1;
                t.NextTryMs = NowMs + 5;
                break;
        }
    }

    private void OnSagaCompleted(long attempt, ResultCode code)
    {
        Mix(0xA5, (ulong)attempt, (ulong)code);
        if (!_attempts.Remove(attempt, out var a)) throw Fail($"attempt {attempt} answered {code}, but it was already answered or never accepted");
        if (code == ResultCode.SagaInProgress) throw Fail($"attempt {attempt} was answered SagaInProgress (a driver must hold repeats until the saga is decided)");
        var t = a.Client;
        if (code == ResultCode.SagaTableFull)
        {
            // Refused at Begin, nothing recorded (no saga, no outcome): like Busy, the client tries again a little later.
            // Happens when many clients pile up behind a long outage and all reach the next leader at once.
            TableFullRefusals++;
            if (t.InFlight == attempt)
            {
                t.InFlight = 0;
                t.NextTryMs = NowMs + 20;
            }

            return;
        }

        if (t.InFlight == attempt) t.InFlight = 0;
        if (t.Outcome is { } first)
        {
            if (first != code) throw Fail($"transfer {t.Transfer.Id} ({t.Mode}) was answered {first}, then {code} to a resubmission");
            return;
        }

        t.Outcome = code;
        if (code == ResultCode.Ok)
        {
            Committed++;
            _expectedNet[t.Transfer.DebitAccountId] -= t.Transfer.Amount;
            if (_expectedNet.ContainsKey(t.Transfer.CreditAccountId)) _expectedNet[t.Transfer.CreditAccountId] += t.Transfer.Amount;
            else throw Fail($"transfer {t.Transfer.Id} to a missing account committed");
        }
        else
        {
            Failed++;
        }
    }

    private void OnNotLeader(long attempt, int leaderId)
    {
        Mix(0x4E, (ulong)attempt, (ulong)(leaderId + 1));
        if (!_attempts.Remove(attempt, out var a)) throw Fail($"attempt {attempt} told NotLeader, but it was already answered or never accepted");
        NotLeaderAnswers++;
        var t = a.Client;
        if (t.InFlight != attempt) return;
        t.InFlight = 0;
        t.Hint = leaderId;
        t.NextTryMs = NowMs + 1;
    }

    /// <summary>A client transfer inside one partition (meets 2PC's locks); the model follows its outcome.</summary>
    private void DirectTransfer()
    {
        var p = _clientRandom.NextInt(0, _partitions.Length);
        if (!_partitions[p].Up) return;
        var from = _customers[_clientRandom.NextInt(0, _customers.Count)];
        var to = _customers[_clientRandom.NextInt(0, _customers.Count)];
        if (from == to || from % 2 != to % 2 || Map.PartitionOf(from) != p || Map.PartitionOf(to) != p) return;
        var amount = _clientRandom.NextInt(1, 50);
        var items = new[] { new Transfer { Id = _nextTransferId++, DebitAccountId = from, CreditAccountId = to, Amount = amount, Ledger = (uint)(from % 2 + 1), Code = 3 } };
        var code = _partitions[p].Execute(CommandKind.CreateTransfers, MemoryMarshal.AsBytes(items.AsSpan()), _clock.UtcNowNs())[0];
        if (code == ResultCode.AccountLocked) LockRefusals++;
        if (code != ResultCode.Ok) return;
        _expectedNet[from] -= amount;
        _expectedNet[to] += amount;
    }

    // ---- checks -----------------------------------------------------------------------------------------

    private void ObserveLeaders()
    {
        foreach (var r in _replicas)
        {
            if (r.Core is not { } core || core.Role != RaftRole.Leader) continue;
            if (_leaderOfTerm.TryGetValue(core.Term, out var other) && other != r.Id) throw Fail($"election safety: replicas {other} and {r.Id} both led term {core.Term}");
            _leaderOfTerm[core.Term] = r.Id;
            if (_lastLeader != r.Id)
            {
                _lastLeader = r.Id;
                Mix(0x1EAD, (ulong)r.Id, (ulong)core.Term);
            }
        }
    }

    /// <summary>The most advanced up replica's table (every replica's table at an index is the same: checked below).</summary>
    private SagaStateMachine? Freshest()
    {
        SagaStateMachine? best = null;
        foreach (var r in _replicas)
        {
            if (r.Core is { } core && (best is null || core.Machine.LastIndex > best.LastIndex)) best = core.Machine;
        }

        return best;
    }

    private void LearnSagas()
    {
        foreach (var r in _replicas)
        {
            if (r.Core is not { } core) continue;
            var machine = core.Machine;
            var applied = machine.LastIndex;
            if (applied == _digestCheckedAt[r.Id - 1] || applied == 0) continue;
            _digestCheckedAt[r.Id - 1] = applied;
            var digest = machine.ComputeDigest();
            if (_digestAt.TryGetValue(applied, out var seen))
            {
                if (seen != digest) throw Fail($"replica {r.Id}: saga table digest at applied index {applied} differs from another replica's");
            }
            else
            {
                _digestAt[applied] = digest;
            }

            for (var id = (ulong)_sagas.Count + 1; id < machine.NextSagaId; id++)
            {
                if (!machine.TryGetSaga(id, out var row)) throw Fail($"saga {id} is not in replica {r.Id}'s table");
                _sagas.Add(id, (row.Transfer, row.Mode, row.SourcePartition, row.DestPartition));
            }
        }
    }

    private static TransferState State(LedgerStateMachine m, ulong sagaId, SagaStep step) =>
        m.TryGetTransfer(SystemIds.StepTransferId(sagaId, (int)step), out _, out var state) ? state : 0;

    /// <summary>After every step: each partition's own invariants, clearing = step records, conservation per ledger, ended sagas consistent.</summary>
    private void CheckInvariants()
    {
        var freshest = Freshest();
        foreach (var r in _replicas)
        {
            if (r.Core is { } core && core.Machine.Anomalies != 0) throw Fail($"replica {r.Id}: {core.Machine.Anomalies} anomalies");
        }

        var n = _partitions.Length;
        var netPosted = new Int128[n, 3];
        var creditsPending = new Int128[n, 3];
        var debitsPending = new Int128[n, 3];
        foreach (var (id, (t, mode, src, dst)) in _sagas)
        {
            var sp = _partitions[src].Machine;
            var dp = _partitions[dst].Machine;
            var hold = State(sp, id, SagaStep.SourceHold);
            var credit = State(dp, id, SagaStep.DestCredit);
            var srcPosted = State(sp, id, SagaStep.SourcePost) != 0;
            var dstApplied = mode == SagaMode.Saga ? credit == TransferState.Settled : State(dp, id, SagaStep.DestPost) != 0;
            var amount = (Int128)t.Amount;
            if (srcPosted) netPosted[src, t.Ledger] += amount;
            if (dstApplied) netPosted[dst, t.Ledger] -= amount;
            if (hold == TransferState.Pending) creditsPending[src, t.Ledger] += amount;
            if (credit == TransferState.Pending) debitsPending[dst, t.Ledger] += amount;
            if (freshest is null || !freshest.TryGetSaga(id, out var row)) continue;
            if (row.IsTerminal)
            {
                var committed = row.Status == SagaStatus.Committed;
                if (committed != srcPosted || committed != dstApplied || hold == TransferState.Pending || credit == TransferState.Pending)
                    throw Fail($"saga {id} ({mode}) ended {row.Status} ({row.Outcome}) but its steps say src posted={srcPosted}, dst applied={dstApplied}, hold={hold}, credit={credit}");
            }
            else if (row.Answered && (mode != SagaMode.Saga || !dstApplied || !(hold == TransferState.Pending || srcPosted)))
            {
                throw Fail($"saga {id} ({mode}) answered Ok while open ({row.Status}) but its steps say src posted={srcPosted}, dst applied={dstApplied}, hold={hold}, credit={credit}");
            }
        }

        var customers = new Int128[3];
        var clearing = new Int128[3];
        for (var p = 0; p < n; p++)
        {
            var m = _partitions[p].Machine;
            if (!LedgerInvariants.TryCheck(m, out var violation)) throw Fail($"partition {p}: {violation}");
            foreach (var ledger in _reference.Clearing.Ledgers)
            {
                _reference.Clearing.TryGet(p, ledger, out var clearingId);
                m.TryGetAccount(clearingId, out var c); // absent until a leader created it: all zero
                var net = (Int128)c.CreditsPosted - c.DebitsPosted;
                clearing[ledger] += net;
                if (net != netPosted[p, ledger] || c.CreditsPending != creditsPending[p, ledger] || c.DebitsPending != debitsPending[p, ledger])
                    throw Fail($"partition {p} ledger {ledger}: clearing {net}/{c.CreditsPending}/{c.DebitsPending} but steps say {netPosted[p, ledger]}/{creditsPending[p, ledger]}/{debitsPending[p, ledger]}");
            }
        }

        foreach (var id in _customers)
        {
            _partitions[Map.PartitionOf(id)].Machine.TryGetAccount(id, out var a);
            customers[a.Ledger] += (Int128)a.CreditsPosted - a.DebitsPosted;
        }

        foreach (var ledger in _reference.Clearing.Ledgers)
        {
            // Money moves between customers only through the clearing accounts: customers + clearing never change.
            var funded = (Int128)FundingPerCustomer * CountCustomers(ledger);
            if (customers[ledger] + clearing[ledger] != funded)
                throw Fail($"ledger {ledger}: customers {customers[ledger]} + clearing {clearing[ledger]} != the {funded} funded (money created or destroyed)");
        }
    }

    private int CountCustomers(uint ledger)
    {
        var count = 0;
        foreach (var id in _customers) count += (uint)(id % 2 + 1) == ledger ? 1 : 0;
        return count;
    }

    private bool Converged()
    {
        if (_open.Count > 0 || _attempts.Count > 0 || _link.Count > 0) return false;
        foreach (var p in _partitions)
        {
            if (!p.Up) return false;
        }

        if (CurrentLeader() is not { } leader) return false;
        var node = leader.Core!.Node;
        if (leader.Core.Machine.ActiveCount != 0 || node.CommitIndex != node.LastIndex) return false;
        foreach (var r in _replicas)
        {
            if (r.Core is not { } core || core.Machine.LastIndex != node.LastIndex || core.Node.LastIndex != node.LastIndex) return false;
        }

        return true;
    }

    private void CheckFinal()
    {
        CheckInvariants();
        UInt128? digest = null;
        foreach (var r in _replicas)
        {
            var d = r.Core!.Machine.ComputeDigest();
            if (digest is { } expected && d != expected) throw Fail($"replica {r.Id}: final saga table digest differs");
            digest = d;
        }

        var machine = _replicas[0].Core!.Machine;
        var seen = new HashSet<UInt128>();
        for (ulong id = 1; id < machine.NextSagaId; id++)
        {
            if (!machine.TryGetSaga(id, out var row)) throw Fail($"saga {id} forgotten (the simulation keeps every saga in the table)");
            if (!seen.Add(row.Transfer.Id)) throw Fail($"transfer {row.Transfer.Id} became two sagas");
            if (!row.IsTerminal) throw Fail($"saga {id} still open after healing");
        }

        foreach (var t in _transfers)
        {
            if (t.Outcome is not { } outcome) throw Fail($"transfer {t.Transfer.Id} never answered");
            if (!machine.TryGetSagaByTransfer(t.Transfer.Id, out var row)) throw Fail($"transfer {t.Transfer.Id} answered {outcome} but has no saga");
            var committed = row.Status == SagaStatus.Committed;
            if (committed != (outcome == ResultCode.Ok) || (!committed && row.Outcome != outcome))
                throw Fail($"transfer {t.Transfer.Id} answered {outcome}, its saga {row.SagaId} ended {row.Status} ({row.Outcome})");
        }

        if (seen.Count != _transfers.Count) throw Fail($"{seen.Count} sagas for {_transfers.Count} transfers");
        for (var p = 0; p < _partitions.Length; p++)
        {
            var m = _partitions[p].Machine;
            if (m.PendingTransferCount != 0 || m.LockedAccountCount != 0) throw Fail($"partition {p} still holds {m.PendingTransferCount} pending / {m.LockedAccountCount} locked");
        }

        foreach (var ledger in _reference.Clearing.Ledgers)
        {
            Int128 sum = 0;
            for (var p = 0; p < _partitions.Length; p++)
            {
                _reference.Clearing.TryGet(p, ledger, out var clearingId);
                _partitions[p].Machine.TryGetAccount(clearingId, out var c);
                sum += (Int128)c.CreditsPosted - c.DebitsPosted;
            }

            if (sum != 0) throw Fail($"ledger {ledger}: clearing accounts sum to {sum}, not zero, at rest");
        }

        foreach (var (id, expected) in _expectedNet)
        {
            _partitions[Map.PartitionOf(id)].Machine.TryGetAccount(id, out var a);
            if ((Int128)a.CreditsPosted - a.DebitsPosted != expected) throw Fail($"account {id} has {(Int128)a.CreditsPosted - a.DebitsPosted}, the model says {expected}");
        }

        Mix(0xF1, (ulong)digest!.Value, (ulong)(digest.Value >> 64));
    }

    private ReplicatedSagaResult Result()
    {
        long written = 0, installed = 0;
        int snapshotRestarts = 0, logOnlyRestarts = 0;
        foreach (var r in _replicas)
        {
            written += r.PastSnapshotsWritten + r.Core!.SnapshotsWritten;
            installed += r.PastSnapshotsInstalled + r.Core.SnapshotsInstalled;
            snapshotRestarts += r.SnapshotRestarts;
            logOnlyRestarts += r.LogOnlyRestarts;
        }

        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in _transfers)
        {
            var name = t.Outcome!.Value.ToString();
            outcomes[name] = outcomes.GetValueOrDefault(name) + 1;
        }

        var histogram = new List<string>();
        foreach (var (name, count) in outcomes) histogram.Add($"{name} {count}");
        return new ReplicatedSagaResult
        {
            Outcomes = string.Join(", ", histogram),
            Seed = Seed, Transfers = _transfers.Count, Committed = Committed, Failed = Failed, Resubmissions = Resubmissions, Repeats = Repeats,
            NotLeaderAnswers = NotLeaderAnswers, LeaderKills = LeaderKills, OpenSagasAtLeaderKills = OpenSagasAtLeaderKills, ReplicaCrashes = ReplicaCrashes, NetworkSplits = NetworkSplits, ClockSteps = ClockSteps,
            PartitionCrashes = PartitionCrashes, Leaders = _leaderOfTerm.Count, SnapshotRestarts = snapshotRestarts, LogOnlyRestarts = logOnlyRestarts,
            SnapshotsWritten = written, SnapshotsInstalled = installed, LockRefusals = LockRefusals, TableFullRefusals = TableFullRefusals, FinalIndex = _replicas[0].Core!.Machine.LastIndex,
            ConvergedAtMs = NowMs, Trace = _trace,
        };
    }

    private string Describe()
    {
        var parts = new List<string>();
        foreach (var r in _replicas)
        {
            parts.Add(r.Core is { } c
                ? $"#{r.Id} {c.Role} term {c.Term} last {c.Node.LastIndex} commit {c.CommitIndex} applied {c.AppliedIndex} open {c.Machine.ActiveCount}"
                : $"#{r.Id} down");
        }

        return $"{string.Join("; ", parts)}; open transfers {_open.Count}, attempts {_attempts.Count}, link {_link.Count}";
    }

    private SimFailureException Fail(string message) => new($"seed {Seed} at {NowMs} ms: {message}");

    private void Mix(ulong a, ulong b, ulong c)
    {
        foreach (var v in (ReadOnlySpan<ulong>)[a, b, c, (ulong)NowMs])
        {
            _trace ^= v;
            _trace *= 1099511628211UL;
        }
    }

    private sealed class Completions(ReplicatedSagaSim world) : ISagaReplicaCompletion
    {
        public void OnSagaCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp) => world.OnSagaCompleted(correlationId, code);

        public void OnNotLeader(long correlationId, int leaderId) => world.OnNotLeader(correlationId, leaderId);
    }

    private sealed class Outbox(ReplicatedSagaSim world, int from) : IRaftOutbox
    {
        public void Send(int toNode, ReadOnlySpan<byte> message) => world._raftNetwork.Send(from, toNode, message, world.NowMs);
    }
}

/// <summary>What one replicated-saga simulation run did (equal for equal seeds: <see cref="Trace"/> hashes every event).</summary>
public sealed record ReplicatedSagaResult
{
    public int Seed { get; init; }
    public int Transfers { get; init; }
    public int Committed { get; init; }
    public int Failed { get; init; }
    public int Resubmissions { get; init; }
    public int Repeats { get; init; }
    public int NotLeaderAnswers { get; init; }
    public int LeaderKills { get; init; }
    public int OpenSagasAtLeaderKills { get; init; }
    public int ReplicaCrashes { get; init; }
    public int NetworkSplits { get; init; }
    public int ClockSteps { get; init; }
    public int PartitionCrashes { get; init; }
    public int Leaders { get; init; }
    public int SnapshotRestarts { get; init; }
    public int LogOnlyRestarts { get; init; }
    public long SnapshotsWritten { get; init; }
    public long SnapshotsInstalled { get; init; }
    public int LockRefusals { get; init; }
    public int TableFullRefusals { get; init; }
    public long FinalIndex { get; init; }
    public long ConvergedAtMs { get; init; }
    public ulong Trace { get; init; }
    public string Outcomes { get; init; } = "";

    public override string ToString() =>
        $"seed {Seed}: {Transfers} transfers ({Committed} committed, {Failed} failed), {Resubmissions} resubmissions, {Repeats} repeats, " +
        $"{NotLeaderAnswers} NotLeader; {Leaders} leaders, {LeaderKills} leader kills ({OpenSagasAtLeaderKills} sagas open at them), {ReplicaCrashes} replica crashes " +
        $"({SnapshotRestarts} restarts from snapshot + log, {LogOnlyRestarts} from the log only), {NetworkSplits} splits, {ClockSteps} clock steps, {PartitionCrashes} partition crashes, " +
        $"{SnapshotsWritten} snapshots written / {SnapshotsInstalled} installed, {LockRefusals} lock refusals, {TableFullRefusals} table-full refusals; index {FinalIndex}, converged at {ConvergedAtMs} ms, trace {Trace:x16}; outcomes: {Outcomes}";
}
