using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Replication;
using Wallet.Replication.Cluster;
using Wallet.Saga.Replicated;

namespace Wallet.Saga.Tests;

/// <summary>
/// The saga sequencer as its own replicated group: three <see cref="SagaReplica"/>s over loopback TCP drive two real
/// partition engines. Only the leader acts; followers keep the same table; a killed leader's successor finishes every
/// open saga, and clients that were told NotLeader resubmit with the same ids and get exactly-once outcomes.
/// </summary>
public sealed class SagaReplicaTests
{
    private const int Replicas = 3;

    [Theory(Timeout = 120_000)]
    [InlineData(SagaMode.Saga)]
    [InlineData(SagaMode.Tcc)]
    [InlineData(SagaMode.TwoPhaseCommit)]
    public async Task The_leader_runs_sagas_and_every_replica_holds_the_same_table(SagaMode mode)
    {
        await Task.Yield();
        using var world = new ReplicatedSagaWorld();
        var leader = world.WaitForLeader();
        world.Cluster.Fund(1, 2, 3, 4);
        // A follower takes nothing and names the leader.
        var follower = world.Followers().First();
        Assert.Equal(SagaReplicaSubmit.NotLeader, follower.TrySubmit(world.CrossTransfers(1, 1, 0)[0], SagaMode.Saga, 1, new ReplicaWaiter()));
        // It names the leader — the current one: on a loaded machine an election may have moved it since (seen once
        // under the full parallel suite: expected node 1, the follower already named node 3).
        Assert.True(SpinWait.SpinUntil(() => world.Leader() is { } now && follower.LeaderId == now.NodeId, TimeSpan.FromSeconds(10)),
            $"the follower names {follower.LeaderId}, the leader is {world.Leader()?.NodeId}");
        leader = world.WaitForLeader();
        var transfers = world.CrossTransfers(count: 40, amount: 100, missingCreditEvery: 5);
        var outcomes = world.SubmitAllUntilDecided(transfers, mode);
        foreach (var (t, code) in outcomes)
        {
            var expected = t.CreditAccountId >= ReplicatedSagaWorld.Missing ? ResultCode.CreditAccountNotFound : ResultCode.Ok;
            // 2PC locks both accounts while prepared: a concurrent transfer touching them is refused, nothing applied.
            if (mode == SagaMode.TwoPhaseCommit && code == ResultCode.AccountLocked) continue;
            Assert.Equal(expected, code);
        }

        Assert.Contains(outcomes, o => o.Code == ResultCode.Ok);
        // Each round's outcomes came inside one ResultBurst on the replica's thread (one flush per session per round).
        Assert.Equal(0, world.CompletionsOutsideBurst);
        world.WaitSettled();
        world.WaitReplicasAt(world.Leader()!.CommitIndex);
        world.AssertBalances(outcomes);

        var digests = world.StopAllAndDigests();
        Assert.Equal(Replicas, digests.Count);
        Assert.Single(digests.Distinct());
        Assert.True(leader.Machine.ActiveCount == 0);
    }

    [Fact(Timeout = 60_000)]
    public async Task Repeats_of_an_undecided_transfer_wait_for_its_outcome_instead_of_SagaInProgress()
    {
        await Task.Yield();
        using var world = new ReplicatedSagaWorld();
        var leader = world.WaitForLeader();
        world.Cluster.Fund(1, 2, 3, 4);
        var transfer = world.CrossTransfers(count: 1, amount: 5, missingCreditEvery: 0)[0];
        // TCC decides at the end of the saga: the repeats (same id, as a client resubmitting) find it open.
        var waiter = new ReplicaWaiter();
        for (var i = 0; i < 5; i++) Assert.Equal(SagaReplicaSubmit.Accepted, leader.TrySubmit(transfer, SagaMode.Tcc, i, waiter));
        var until = Environment.TickCount64 + 30_000;
        while (waiter.Count < 5 && Environment.TickCount64 < until) Thread.Sleep(10);
        Assert.Equal(5, waiter.Count);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(waiter.TryGet(i, out var code));
            Assert.True(code is ResultCode.Ok or ResultCode.Exists, $"submission {i}: {code}");
        }

        world.WaitSettled();
        world.AssertBalances([(transfer, ResultCode.Ok)]); // moved once
    }

    [Fact(Timeout = 180_000)]
    public async Task A_killed_leader_is_replaced_and_its_open_sagas_end_exactly_once()
    {
        await Task.Yield();
        using var world = new ReplicatedSagaWorld();
        var first = world.WaitForLeader();
        world.Cluster.Fund(1, 2, 3, 4);
        var transfers = world.CrossTransfers(count: 200, amount: 7, missingCreditEvery: 0);
        world.StepsHeld = true;
        // Submit everything to the first leader, then kill it before most sagas can end.
        var early = new ReplicaWaiter();
        var accepted = 0;
        for (var i = 0; i < transfers.Length; i++)
        {
            if (first.TrySubmit(transfers[i], SagaMode.Saga, i, early) == SagaReplicaSubmit.Accepted) accepted++;
        }

        Assert.True(accepted > 0);
        // Kill it mid-flight: its step sends are held back, so the Begins commit and their sagas stay open in every
        // replica's table until the kill (on a loaded runner they could otherwise all end before we look).
        var until = Environment.TickCount64 + 20_000;
        while (first.OpenSagas == 0 && Environment.TickCount64 < until) Thread.Sleep(5);
        Assert.True(first.OpenSagas > 0, "no saga was open on the first leader");
        var firstTerm = first.Term;
        world.Kill(first);
        world.StepsHeld = false;
        // Every accepted submission heard exactly one thing: its outcome, or NotLeader (the kill) — never nothing.
        Assert.Equal(accepted, early.Count + early.NotLeaderCount);
        Assert.True(world.WaitForLeader().Term > firstTerm);

        // Every client now retries with the same ids until it has an outcome (from whichever replica leads).
        var outcomes = world.SubmitAllUntilDecided(transfers);
        Assert.All(outcomes, o => Assert.True(o.Code is ResultCode.Ok or ResultCode.Exists, $"{o.Transfer.Id}: {o.Code}"));
        world.WaitSettled();
        // Each transfer moved its money once, whatever mix of the first leader's and the retries' Begins committed.
        world.AssertBalances([.. outcomes.Select(o => (o.Transfer, ResultCode.Ok))]);

        // The killed replica comes back and catches up to the same table.
        world.Restart(first.NodeId);
        world.WaitReplicasAt(world.Leader()!.CommitIndex);
        var digests = world.StopAllAndDigests();
        Assert.Equal(Replicas, digests.Count);
        Assert.Single(digests.Distinct());
    }
}

public sealed class SagaReplicaCatchUpTests
{
    [Fact(Timeout = 240_000)]
    public async Task Repeated_crashes_of_leaders_and_followers_under_load_lose_nothing_and_apply_everything_once()
    {
        await Task.Yield();
        using var world = new ReplicatedSagaWorld();
        world.WaitForLeader();
        world.Cluster.Fund(1, 2, 3, 4);
        var rng = new Random(20261127);
        var all = world.CrossTransfers(count: 600, amount: 2, missingCreditEvery: 0);
        var outcomes = new List<(Transfer Transfer, ResultCode Code)>();
        for (var round = 0; round < 6; round++)
        {
            var batch = all[(round * 100)..((round + 1) * 100)];
            // Submit to the current leader, then crash a replica (the leader every other round) while they run.
            var leader = world.WaitForLeader();
            var early = new ReplicaWaiter();
            for (var i = 0; i < batch.Length; i++) leader.TrySubmit(batch[i], SagaMode.Saga, i, early);
            var victim = round % 2 == 0 ? leader : world.Followers().ElementAt(rng.Next(2));
            var victimId = victim.NodeId;
            world.Kill(victim);
            outcomes.AddRange(world.SubmitAllUntilDecided(batch));
            world.Restart(victimId);
        }

        Assert.All(outcomes, o => Assert.True(o.Code is ResultCode.Ok or ResultCode.Exists, $"{o.Transfer.Id}: {o.Code}"));
        world.WaitSettled();
        world.AssertBalances([.. outcomes.Select(o => (o.Transfer, ResultCode.Ok))]);
        world.WaitReplicasAt(world.Leader()!.CommitIndex);
        Assert.Single(world.StopAllAndDigests().Distinct());
    }

    [Fact(Timeout = 180_000)]
    public async Task A_follower_behind_the_compacted_log_is_caught_up_by_a_snapshot_and_holds_the_same_table()
    {
        await Task.Yield();
        using var world = new ReplicatedSagaWorld(compact: true);
        var leader = world.WaitForLeader();
        world.Cluster.Fund(1, 2, 3, 4);
        var follower = world.Followers().First();
        var followerId = follower.NodeId;
        var behind = follower.AppliedIndex;
        world.Kill(follower);

        // Enough sagas, in rounds, for many snapshots; the leader's log is then compacted past the follower's position.
        var transfers = world.CrossTransfers(count: 1200, amount: 3, missingCreditEvery: 0); // ≈ 300 KB of log: several 64 KiB segments
        for (var at = 0; at < transfers.Length; at += 100)
        {
            Assert.All(world.SubmitAllUntilDecided(transfers[at..Math.Min(at + 100, transfers.Length)]), o => Assert.Equal(ResultCode.Ok, o.Code));
        }

        world.WaitSettled();
        Assert.True(world.LogFirstIndex(leader) > behind + 1, $"the leader's log starts at {world.LogFirstIndex(leader)}: not compacted past {behind}");

        var back = world.Restart(followerId);
        world.WaitReplicasAt(world.Leader()!.CommitIndex);
        Assert.True(back.SnapshotsInstalled > 0, "the follower caught up without a snapshot");
        var digests = world.StopAllAndDigests();
        Assert.Single(digests.Distinct());
    }
}

/// <summary>A replica's step path that the test can hold shut (steps then wait in the replica, as if partitions were slow).</summary>
internal sealed class HoldableSteps(LocalStepTransport inner, ReplicatedSagaWorld world) : ISagaStepTransport
{
    public int MaxStepsPerSend => inner.MaxStepsPerSend;

    public void Attach(ISagaStepAnswers answers) => inner.Attach(answers);

    public bool TrySend(int partition, ReadOnlySpan<Transfer> steps) => !world.StepsHeld && inner.TrySend(partition, steps);

    public bool TryCreateClearingAccounts(int partition, ReadOnlySpan<Account> accounts) => inner.TryCreateClearingAccounts(partition, accounts);
}

/// <summary>A submitter's view: outcome or NotLeader, each counted.</summary>
internal sealed class ReplicaWaiter : ISagaReplicaCompletion
{
    private readonly ConcurrentDictionary<long, ResultCode> _codes = new();
    private int _notLeader;

    public int Count => _codes.Count;

    public int NotLeaderCount => Volatile.Read(ref _notLeader);

    public ConcurrentDictionary<long, bool> Refused { get; } = new();

    /// <summary>Outcomes delivered outside a <see cref="Wallet.Engine.Partition.ResultBurst"/> (the replica delivers each round inside one).</summary>
    public int OutsideBurst => Volatile.Read(ref _outsideBurst);
    private int _outsideBurst;

    public void OnSagaCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp)
    {
        if (!Wallet.Engine.Partition.ResultBurst.IsOpen) Interlocked.Increment(ref _outsideBurst);
        if (!_codes.TryAdd(correlationId, code)) throw new InvalidOperationException($"correlation {correlationId} completed twice");
    }

    public void OnNotLeader(long correlationId, int leaderId)
    {
        Interlocked.Increment(ref _notLeader);
        Refused[correlationId] = true;
    }

    public bool TryGet(long correlationId, out ResultCode code) => _codes.TryGetValue(correlationId, out code);
}

/// <summary>Two partition engines, three saga replicas (each with its own in-process step transport), one temp root.</summary>
internal sealed class ReplicatedSagaWorld : IDisposable
{
    public static readonly UInt128 Missing = 999_999;
    private readonly LocalStepTransport[] _transports = new LocalStepTransport[3];
    private readonly HoldableSteps[] _held = new HoldableSteps[3];

    /// <summary>While true, no replica sends a step (they stay queued and are sent, or resent, once released).</summary>
    public bool StepsHeld { get; set; }
    private readonly SagaReplica?[] _replicas = new SagaReplica?[3];
    private readonly ClusterMember[] _members;

    private readonly bool _compact;

    /// <param name="compact">Snapshots every 16 commands, one kept, the log compacted right behind it (no margin): a
    /// replica that was down for a while can only be caught up by InstallSnapshot.</param>
    public ReplicatedSagaWorld(bool compact = false)
    {
        _compact = compact;
        for (var i = 0; i < _transports.Length; i++) _transports[i] = new LocalStepTransport(2, sessionId: long.MinValue + 0x100 + i, stepRingSize: 1 << 12);
        Cluster = new CoordinatorCluster(2, (p, inner) => _transports[0].RouterFor(p, _transports[1].RouterFor(p, _transports[2].RouterFor(p, inner))));
        for (var i = 0; i < _transports.Length; i++)
        {
            for (var p = 0; p < 2; p++) _transports[i].Bind(p, Cluster.Engines[p]);
        }

        _members = new ClusterMember[3];
        for (var i = 0; i < 3; i++) _members[i] = new ClusterMember(i + 1, "127.0.0.1", 1, FreePort());
        for (var i = 0; i < 3; i++) Start(i + 1);
    }

    public CoordinatorCluster Cluster { get; }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private SagaReplica Start(int nodeId)
    {
        var replica = new SagaReplica(
            new ClusterOptions { NodeId = nodeId, Members = _members, ElectionTimeoutMs = 200, HeartbeatIntervalMs = 40 },
            new SagaReplicaOptions
            {
                DataDirectory = Path.Combine(Cluster.Root, "saga-" + nodeId),
                Saga = new SagaOptions { Map = Cluster.Map, Catalog = CoordinatorCluster.Catalog, MaxActiveSagas = 4096, RetainedCompletedSagas = 4096, StepDeadlineNs = 10_000_000_000, MaxBatchSize = 256 },
                Fsync = FsyncPolicy.None, RetryIntervalNs = 100_000_000, TickIntervalNs = 10_000_000, InboxSize = 1 << 12,
                SnapshotEveryCommands = _compact ? 16 : 64, SnapshotRetainCount = _compact ? 1 : 3,
                JournalRetention = _compact ? Wallet.Engine.Partition.JournalRetention.BeforeOldestSnapshot : Wallet.Engine.Partition.JournalRetention.KeepAll,
                RetainMarginEntries = 0, JournalSegmentSizeBytes = _compact ? JournalOptions.MinSegmentSizeBytes : 64L << 20,
            },
            _held[nodeId - 1] ??= new HoldableSteps(_transports[nodeId - 1], this));
        replica.Start();
        _replicas[nodeId - 1] = replica;
        return replica;
    }

    public SagaReplica Restart(int nodeId) => Start(nodeId);

    /// <summary>The first index still in <paramref name="replica"/>'s log (after compaction).</summary>
    public long LogFirstIndex(SagaReplica replica) => replica.LogFirstIndex;

    public void Kill(SagaReplica replica)
    {
        replica.Dispose();
        _replicas[replica.NodeId - 1] = null;
    }

    public SagaReplica? Leader()
    {
        SagaReplica? leader = null;
        foreach (var r in _replicas)
        {
            if (r is not null && r.IsLeader && (leader is null || r.Term > leader.Term)) leader = r;
        }

        return leader;
    }

    public IEnumerable<SagaReplica> Followers()
    {
        var leader = WaitForLeader();
        foreach (var r in _replicas)
        {
            // A follower knows the leader once it has heard from it (first heartbeat): wait for that, bounded.
            if (r is null || r == leader) continue;
            var until = Environment.TickCount64 + 5_000;
            while (r.LeaderId != leader.NodeId && Environment.TickCount64 < until) Thread.Sleep(10);
            yield return r;
        }
    }

    public SagaReplica WaitForLeader(int timeoutMs = 20_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            foreach (var r in _replicas) Assert.Null(r?.Failure);
            if (Leader() is { } leader) return leader;
            if (Environment.TickCount64 > deadline) throw new TimeoutException("no saga leader elected");
            Thread.Sleep(20);
        }
    }

    /// <summary>Transfers whose accounts are on different partitions; every <paramref name="missingCreditEvery"/>-th credits a missing account.</summary>
    public Transfer[] CrossTransfers(int count, long amount, int missingCreditEvery)
    {
        UInt128[] accounts = [1, 2, 3, 4];
        var pairs = new List<(UInt128 From, UInt128 To)>();
        foreach (var a in accounts)
        {
            foreach (var b in accounts)
            {
                if (Cluster.Map.PartitionOf(a) != Cluster.Map.PartitionOf(b)) pairs.Add((a, b));
            }
        }

        Assert.NotEmpty(pairs);
        var transfers = new Transfer[count];
        for (var i = 0; i < count; i++)
        {
            var (from, to) = pairs[i % pairs.Count];
            if (missingCreditEvery > 0 && i % missingCreditEvery == missingCreditEvery - 1)
            {
                to = Missing;
                while (Cluster.Map.PartitionOf(to) == Cluster.Map.PartitionOf(from)) to++;
            }

            transfers[i] = new Transfer { Id = (UInt128)(50_000 + i), DebitAccountId = from, CreditAccountId = to, Amount = amount, Ledger = 1, Code = 1 };
        }

        return transfers;
    }

    /// <summary>Submits each transfer to the current leader, again (same id) after NotLeader/Busy/SagaInProgress, until every one has an outcome.</summary>
    private readonly List<ReplicaWaiter> _waiters = [];

    /// <summary>Outcomes, over every <see cref="SubmitAllUntilDecided"/> so far, delivered outside a result burst.</summary>
    public int CompletionsOutsideBurst => _waiters.Sum(w => w.OutsideBurst);

    public List<(Transfer Transfer, ResultCode Code)> SubmitAllUntilDecided(Transfer[] transfers, SagaMode mode = SagaMode.Saga, int timeoutMs = 60_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        var decided = new ResultCode?[transfers.Length];
        var left = transfers.Length;
        while (left > 0)
        {
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"{left} transfers without an outcome");
            var leader = WaitForLeader();
            var waiter = new ReplicaWaiter();
            _waiters.Add(waiter);
            var sent = new List<int>();
            for (var i = 0; i < transfers.Length; i++)
            {
                if (decided[i] is null && leader.TrySubmit(transfers[i], mode, i, waiter) == SagaReplicaSubmit.Accepted) sent.Add(i);
            }

            // Wait for this round's answers (outcome or NotLeader), bounded.
            var roundDeadline = Environment.TickCount64 + 10_000;
            while (waiter.Count + waiter.NotLeaderCount < sent.Count && Environment.TickCount64 < roundDeadline) Thread.Sleep(10);
            foreach (var i in sent)
            {
                // SagaInProgress: an earlier submission's saga (e.g. one the killed leader proposed) is still running — ask again.
                if (waiter.TryGet(i, out var code) && code != ResultCode.SagaInProgress)
                {
                    decided[i] = code;
                    left--;
                }
            }
        }

        var result = new List<(Transfer, ResultCode)>(transfers.Length);
        for (var i = 0; i < transfers.Length; i++) result.Add((transfers[i], decided[i]!.Value));
        return result;
    }

    /// <summary>Waits until the leader's table has no open saga (Saga mode answers at the commit point, before the post).</summary>
    public void WaitSettled(int timeoutMs = 30_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (Leader() is not { OpenSagas: 0 } || Leader()!.AppliedIndex < Leader()!.CommitIndex)
        {
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"{Leader()?.OpenSagas} sagas still open");
            Thread.Sleep(10);
        }
    }

    public void WaitReplicasAt(long index, int timeoutMs = 30_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        foreach (var r in _replicas)
        {
            while (r is not null && r.AppliedIndex < index)
            {
                Assert.Null(r.Failure);
                if (Environment.TickCount64 > deadline) throw new TimeoutException($"replica {r.NodeId} applied {r.AppliedIndex} of {index}");
                Thread.Sleep(10);
            }
        }
    }

    /// <summary>Every account's balance is what exactly-once application of the Ok transfers gives, and money is conserved.</summary>
    public void AssertBalances(IEnumerable<(Transfer Transfer, ResultCode Code)> outcomes)
    {
        var expected = new Dictionary<UInt128, long> { [1] = 100_000, [2] = 100_000, [3] = 100_000, [4] = 100_000 };
        foreach (var (t, code) in outcomes)
        {
            if (code != ResultCode.Ok) continue;
            expected[t.DebitAccountId] -= t.Amount;
            expected[t.CreditAccountId] += t.Amount;
        }

        foreach (var (id, balance) in expected)
        {
            var a = Cluster.Account(id);
            Assert.Equal(0, a.DebitsPending);
            Assert.Equal(balance, (long)(a.CreditsPosted - a.DebitsPosted));
        }

        for (var p = 0; p < 2; p++)
        {
            var clearing = Cluster.Clearing(p);
            Assert.Equal(0, clearing.DebitsPending);
            Assert.Equal(0, clearing.CreditsPending);
        }
    }

    /// <summary>Stops every replica and returns each one's table digest (all at the same applied index).</summary>
    public List<UInt128> StopAllAndDigests()
    {
        var indexes = new HashSet<long>();
        var digests = new List<UInt128>();
        foreach (var r in _replicas)
        {
            if (r is null) continue;
            r.Stop();
            Assert.Null(r.Failure);
            indexes.Add(r.Machine.LastIndex);
            digests.Add(r.Machine.ComputeDigest());
        }

        Assert.Single(indexes);
        return digests;
    }

    public void Dispose()
    {
        foreach (var r in _replicas) r?.Dispose();
        Cluster.Dispose();
    }
}
