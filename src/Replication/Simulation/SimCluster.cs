using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;

namespace Wallet.Replication.Simulation;

/// <summary>
/// Deterministic simulation of one Raft group running the ledger: one thread, virtual time (1 step = 1 ms), one seeded
/// PRNG from which every random choice (network delay/loss/duplication, partitions, crashes, torn writes, election
/// jitter, workload) is derived. Phase 1 injects faults for <see cref="SimOptions.Steps"/> steps; phase 2 heals
/// everything and requires the workload to finish and every replica to converge within <see cref="SimOptions.HealSteps"/>.
/// Invariants are checked after every step; the first violation ends the run with a <see cref="SimFailureException"/>.
/// </summary>
public sealed class SimCluster
{
    private readonly SimOptions _options;
    private readonly ulong _seed;
    private readonly SimRandom _faults;
    private readonly SimNetwork _network;
    private readonly List<SimReplica> _replicas = new();
    private readonly SimClient _client;
    private readonly SimModel _model = new();
    private readonly List<CommittedEntry> _committed = new();
    private readonly Dictionary<long, int> _leaderOfTerm = new();
    private readonly Dictionary<long, UInt128> _digestAt = new();
    private readonly HashSet<(int Replica, int Life, long Applied)> _checked = new();
    private readonly LedgerOptions _ledgerOptions;
    private long _now;
    private long _partitions;
    private readonly long[] _downSince;
    private SimReplica? _lostDisk;        // the replica whose disk was lost, until it has caught up again
    private long _committedAtLoss;
    private long _dataLosses;
    private long _rejoinsCompleted;

    public SimCluster(ulong seed, SimOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _seed = seed;
        _options = options;
        var root = new SimRandom(seed);
        _faults = root.Fork();
        var networkRandom = root.Fork();
        var clientRandom = root.Fork();
        var members = new int[options.Replicas];
        for (var i = 0; i < members.Length; i++) members[i] = i + 1;
        _network = new SimNetwork(networkRandom, options, members.Length);
        _ledgerOptions = new LedgerOptions
        {
            Catalog = new LedgerCatalog([new LedgerDefinition(SimClient.LedgerCode, "USD", 2)]),
            MaxAccounts = 1024,
            MaxBatchSize = 64,
            MaxPendingTransfers = 64,
            TransferRetentionCount = 1 << 16,
        };
        _downSince = new long[members.Length];
        foreach (var id in members)
        {
            RaftOptions Raft(bool rejoin) => new()
            {
                NodeId = id,
                Members = members,
                ElectionTimeoutMs = options.ElectionTimeoutMs,
                HeartbeatIntervalMs = options.HeartbeatIntervalMs,
                ResendTimeoutMs = options.ResendTimeoutMs,
                MaxMessageBytes = options.MaxMessageBytes,
                MaxInFlightBytesPerFollower = options.MaxInFlightBytesPerFollower,
                MaxEntryPayloadBytes = Math.Min(64 * Transfer.SizeBytes, options.MaxMessageBytes - RaftOptions.AppendEntriesOverheadBytes - RaftOptions.EntryHeaderBytes),
                PreVote = options.PreVote,
                CheckQuorum = options.CheckQuorum,
                SnapshotChunkBytes = Math.Min(options.SnapshotChunkBytes, options.MaxMessageBytes - RaftOptions.InstallSnapshotOverheadBytes),
                MaxSnapshotBytes = 64L << 20,
                RejoinAfterDataLoss = rejoin,
            };
            var rejoinOptions = options.DataLossPerMillion > 0 && options.RejoinAfterDataLoss ? Raft(true) : null;
            var replica = new SimReplica(id, Raft(false), _ledgerOptions, root.Fork(), new SimOutbox(_network, id, () => _now),
                options.SnapshotIntervalEntries, options.RetainMarginEntries, options.SnapshotGarblePerMillion, rejoinOptions);
            _replicas.Add(replica);
        }

        _client = new SimClient(options, clientRandom, _replicas);
        foreach (var r in _replicas) r.Start();
    }

    /// <summary>Runs the seed to completion. Never throws for an invariant violation: it is returned in the result.</summary>
    public static SimResult Run(ulong seed, SimOptions options)
    {
        var cluster = new SimCluster(seed, options);
        try
        {
            cluster.RunAll();
            return new SimResult(seed, null, cluster._now, cluster.Stats());
        }
        catch (SimFailureException e)
        {
            return new SimResult(seed, e.Message, cluster._now, cluster.Stats());
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or JournalCorruptException)
        {
            return new SimResult(seed, $"unexpected {e.GetType().Name}: {e.Message}\n{e.StackTrace}", cluster._now, cluster.Stats());
        }
    }

    private void RunAll()
    {
        var total = (long)_options.Steps + _options.HealSteps;
        for (_now = 1; _now <= total; _now++)
        {
            if (_now <= _options.Steps) InjectFaults();
            else if (_now == _options.Steps + 1) HealEverything();
            Step();
            CheckStep();
            if (_now > _options.Steps && Converged())
            {
                CheckFinal();
                return;
            }
        }

        throw new SimFailureException($"no convergence {_options.HealSteps} steps after faults healed: {Describe()}");
    }

    private void Step()
    {
        while (_network.TryDequeue(_now, out var message))
        {
            var target = _replicas[message.To - 1];
            target.Node?.Receive(message.From, message.Bytes, _now);
        }

        foreach (var r in _replicas) r.Node?.Tick(_now);
        _client.Step(_now);
        if (_now <= _options.Steps && _faults.Chance(_options.CrashPerMillion))
        {
            // Crash between the appends of this batch and its Flush: the volatile tail is torn or lost.
            var r = _replicas[_faults.NextInt(0, _replicas.Count)];
            if (r.Up) Crash(r);
        }

        foreach (var r in _replicas) r.Node?.Flush(_now);
        if (_lostDisk is { } lost) ObserveRejoin(lost);
        foreach (var r in _replicas)
        {
            if (r.Up) r.ApplyCommitted(OnApplied);
        }
    }

    private void OnApplied(SimReplica replica, RaftLogEntry entry, ReadOnlySpan<CreateResult> results)
    {
        var index = entry.Index;
        var crc = Crc32C.Compute(entry.Payload);
        ResultCode[] expected;
        if (index <= _committed.Count)
        {
            var c = _committed[(int)index - 1];
            if (c.Term != entry.Term || c.Type != entry.Type || c.PayloadCrc != crc)
                throw new SimFailureException($"state machine safety: replica {replica.Id} applied index {index} term {entry.Term} type {entry.Type}, but term {c.Term} type {c.Type} was committed there");
            expected = c.Expected;
        }
        else
        {
            if (index != _committed.Count + 1) throw new SimFailureException($"replica {replica.Id} applied index {index} with a gap (committed so far {_committed.Count})");
            expected = _model.Apply(entry.Type, entry.Payload);
            _committed.Add(new CommittedEntry(entry.Term, entry.Type, crc, expected));
        }

        if (results.Length != expected.Length) throw new SimFailureException($"replica {replica.Id} index {index}: {results.Length} results, model expects {expected.Length}");
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i].Code != expected[i])
                throw new SimFailureException($"replica {replica.Id} index {index} item {i}: ledger says {results[i].Code}, model says {expected[i]}");
        }

        _client.OnApplied(replica, entry, expected, results);
    }

    private void CheckStep()
    {
        foreach (var r in _replicas)
        {
            var node = r.Node;
            if (node is null) continue;
            if (node.Counters.ProtocolViolations != 0) throw new SimFailureException($"replica {r.Id} counted a protocol violation");
            if (node.CommitIndex > node.LastIndex) throw new SimFailureException($"replica {r.Id}: commit {node.CommitIndex} beyond its log {node.LastIndex}");
            if (node.Role == RaftRole.Leader)
            {
                if (_leaderOfTerm.TryGetValue(node.Term, out var other))
                {
                    if (other != r.Id) throw new SimFailureException($"election safety: replicas {other} and {r.Id} both led term {node.Term}");
                }
                else
                {
                    _leaderOfTerm[node.Term] = r.Id;
                    CheckLeaderCompleteness(r);
                }
            }

            var ledger = r.Ledger!;
            if (r.Applied > 0 && _checked.Add((r.Id, r.Crashes, r.Applied)))
            {
                // Conservation and digest once per (replica life, applied index) that ends a step.
                if (!LedgerInvariants.TryCheck(ledger, out var violation)) throw new SimFailureException($"replica {r.Id} at index {r.Applied}: {violation}");
                var digest = ledger.ComputeDigest();
                if (_digestAt.TryGetValue(r.Applied, out var seen))
                {
                    if (seen != digest) throw new SimFailureException($"replica {r.Id}: state digest at applied index {r.Applied} differs from another replica's");
                }
                else
                {
                    _digestAt[r.Applied] = digest;
                }
            }
        }
    }

    /// <summary>Leader completeness: a new leader's log holds every entry committed so far (so no acknowledged entry can be lost).</summary>
    private void CheckLeaderCompleteness(SimReplica leader)
    {
        // Entries before the log's boundary are inside the leader's snapshot (checked against the committed log when written).
        var from = Math.Max(0, (int)leader.Log.FirstIndex - 2);
        if (from > 0 && (!leader.Snapshots.TryGetNewest(out var snap) || snap.Index < from))
            throw new SimFailureException($"leader completeness: replica {leader.Id} compacted its log below {from + 1} without a snapshot covering it");
        for (var i = from; i < _committed.Count; i++)
        {
            if (leader.Log.TermAt(i + 1) != _committed[i].Term)
                throw new SimFailureException($"leader completeness: replica {leader.Id} leads term {leader.Node!.Term} without committed entry {i + 1} (term {_committed[i].Term})");
        }
    }

    private bool Converged()
    {
        if (!_client.Idle) return false;
        SimReplica? leader = null;
        foreach (var r in _replicas)
        {
            if (!r.Up) return false;
            if (r.Node!.Role == RaftRole.Leader) leader = r;
            if (r.Node.Rejoining) return false; // a replica that lost its data must also finish catching up (liveness)
        }

        if (leader is null) return false;
        var last = leader.Log.LastIndex;
        if (leader.Node!.CommitIndex != last) return false;
        foreach (var r in _replicas)
        {
            if (r.Log.LastIndex != last || r.Applied != last) return false;
        }

        return true;
    }

    /// <summary>Converged: every acknowledged transfer is present on every replica, balances equal the model's, digests equal.</summary>
    private void CheckFinal()
    {
        if (!_client.AccountsCreated) throw new SimFailureException("the workload never got its accounts created");
        UInt128? digest = null;
        foreach (var r in _replicas)
        {
            var ledger = r.Ledger!;
            var d = ledger.ComputeDigest();
            if (digest is { } expected && expected != d) throw new SimFailureException($"replica {r.Id}: final digest differs");
            digest = d;
            foreach (var (id, t) in _model.Transfers)
            {
                if (!ledger.TryGetTransfer(id, out var stored) || stored.Amount != t.Amount || stored.DebitAccountId != t.Debit || stored.CreditAccountId != t.Credit)
                    throw new SimFailureException($"replica {r.Id}: committed transfer {id} missing or different");
            }

            foreach (var account in ledger.Accounts)
            {
                if (!_model.TryGetAccount(account.Id, out var m) || m.DebitsPosted != account.DebitsPosted || m.CreditsPosted != account.CreditsPosted)
                    throw new SimFailureException($"replica {r.Id}: account {account.Id} balances differ from the model");
            }
        }

        // Every acknowledged command is in the committed log at the index it was acknowledged with, with the same results.
        foreach (var (index, results, payload, kind) in _client.Acks)
        {
            var c = _committed[(int)index - 1];
            if (c.Type != kind || c.PayloadCrc != Crc32C.Compute(payload) || !c.Expected.AsSpan().SequenceEqual(results))
                throw new SimFailureException($"acknowledged command at index {index} is not what the committed log holds");
        }
    }

    private void InjectFaults()
    {
        if (_faults.Chance(_options.CrashPerMillion))
        {
            var r = _replicas[_faults.NextInt(0, _replicas.Count)];
            if (r.Up) Crash(r);
        }

        if (_faults.Chance(_options.RestartPerMillion))
        {
            var r = _replicas[_faults.NextInt(0, _replicas.Count)];
            if (!r.Up)
            {
                MaybeLoseDisk(r);
                r.Start();
            }
        }

        if (_replicas.Count > 1 && _faults.Chance(_options.PartitionPerMillion))
        {
            _partitions++;
            var n = _replicas.Count;
            switch (_faults.NextInt(0, 3))
            {
                case 0: // isolate one replica, both directions
                {
                    var a = _faults.NextInt(1, n + 1);
                    for (var b = 1; b <= n; b++)
                    {
                        if (b == a) continue;
                        _network.Cut(a, b);
                        _network.Cut(b, a);
                    }

                    break;
                }
                case 1: // asymmetric: one direction of one link
                {
                    var a = _faults.NextInt(1, n + 1);
                    var b = _faults.NextInt(1, n);
                    if (b >= a) b++;
                    _network.Cut(a, b);
                    break;
                }
                default: // split into two random sides
                {
                    var side = new bool[n + 1];
                    for (var i = 1; i <= n; i++) side[i] = _faults.Chance(500_000);
                    for (var a = 1; a <= n; a++)
                    {
                        for (var b = 1; b <= n; b++)
                        {
                            if (side[a] != side[b]) _network.Cut(a, b);
                        }
                    }

                    break;
                }
            }
        }

        if (_faults.Chance(_options.HealPerMillion)) _network.HealAll();
    }

    private void Crash(SimReplica r)
    {
        r.Crash();
        _downSince[r.Id - 1] = _now;
    }

    /// <summary>
    /// Data loss at restart (<see cref="SimOptions.DataLossPerMillion"/>): only after a downtime that outlasts any leader or
    /// campaign that relied on the replica (docs/REPLICATION.md, "Rejoining after data loss", assumptions), and only while no
    /// other replica is still catching up from one (a majority's lost data cannot be recovered by any rule).
    /// </summary>
    private void MaybeLoseDisk(SimReplica r)
    {
        if (_options.DataLossPerMillion <= 0 || _lostDisk is not null) return;
        if (_now - _downSince[r.Id - 1] < 2L * _options.ElectionTimeoutMs + _options.MaxDelayMs) return;
        if (!_faults.Chance(_options.DataLossPerMillion)) return;
        r.LoseDisk();
        r.MustRejoin = _options.RejoinAfterDataLoss;
        _lostDisk = r;
        _committedAtLoss = _committed.Count;
        _dataLosses++;
    }

    /// <summary>The replica that lost its disk is caught up again once it no longer rejoins and durably holds what was committed at the loss.</summary>
    private void ObserveRejoin(SimReplica r)
    {
        if (r.Node is not { } node || node.Rejoining || r.Log.DurableIndex < _committedAtLoss) return;
        if (r.MustRejoin) _rejoinsCompleted++;
        r.MustRejoin = false;
        _lostDisk = null;
    }

    private void HealEverything()
    {
        _network.HealAll();
        _network.Lossy = false;
        _client.Generating = false;
        foreach (var r in _replicas)
        {
            if (!r.Up) r.Start();
        }
    }

    private string Describe()
    {
        var parts = new List<string>();
        foreach (var r in _replicas)
        {
            parts.Add(r.Node is { } n
                ? $"#{r.Id} {n.Role} term {n.Term} leader {n.LeaderId} last {n.LastIndex} commit {n.CommitIndex} applied {r.Applied}"
                : $"#{r.Id} down");
        }

        return $"{string.Join("; ", parts)}; client idle {_client.Idle}, committed {_committed.Count}";
    }

    private SimStats Stats()
    {
        long elections = 0, stepDowns = 0, truncations = 0, torn = 0, lost = 0, crashes = 0, installed = 0, written = 0, rejected = 0, tornTemp = 0;
        foreach (var r in _replicas)
        {
            elections += r.PastElections;
            stepDowns += r.PastStepDowns;
            truncations += r.PastTruncations;
            if (r.Node is { } n)
            {
                elections += n.Counters.ElectionsStarted;
                stepDowns += n.Counters.CheckQuorumStepDowns;
                truncations += n.Counters.Truncations;
            }

            torn += r.Log.TornRecordsDiscarded;
            installed += r.SnapshotsInstalled;
            written += r.SnapshotsWritten;
            rejected += r.SnapshotsRejected + (r.Node?.Counters.SnapshotsRejected ?? 0);
            tornTemp += r.Snapshots.TornTempFiles;
            lost += r.Log.VolatileRecordsLost;
            crashes += r.Crashes;
        }

        return new SimStats
        {
            Committed = _committed.Count,
            Acknowledged = _client.Acknowledged,
            Retries = _client.Retries,
            Elections = elections,
            Leaders = _leaderOfTerm.Count,
            Crashes = crashes,
            Partitions = _partitions,
            MessagesSent = _network.Sent,
            MessagesDropped = _network.Dropped,
            MessagesDuplicated = _network.Duplicated,
            Truncations = truncations,
            TornRecords = torn,
            VolatileRecordsLost = lost,
            CheckQuorumStepDowns = stepDowns,
            SnapshotsWritten = written,
            SnapshotsInstalled = installed,
            SnapshotsRejected = rejected,
            TornSnapshotTempFiles = tornTemp,
            DataLosses = _dataLosses,
            RejoinsCompleted = _rejoinsCompleted,
        };
    }

    private readonly record struct CommittedEntry(long Term, ushort Type, uint PayloadCrc, ResultCode[] Expected);
}
