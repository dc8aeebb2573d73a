namespace Wallet.Replication.Simulation;

/// <summary>Outcome of one seed. <see cref="Failure"/> is null when every invariant held and the cluster converged.</summary>
public sealed record SimResult(ulong Seed, string? Failure, long Steps, SimStats Stats)
{
    public bool Passed => Failure is null;

    /// <summary>One line: the seed and the command that reproduces it, then either the stats or the violation.</summary>
    public override string ToString() => Passed
        ? $"seed {Seed}: ok in {Steps} steps — {Stats}"
        : $"seed {Seed}: FAILED at step {Steps}: {Failure}\n  reproduce: wallet sim --seeds {Seed}..{Seed} (same options) — {Stats}";
}

/// <summary>What a run did (to see that faults really happened).</summary>
public sealed record SimStats
{
    public long Committed { get; init; }
    public long Acknowledged { get; init; }
    public long Retries { get; init; }
    public long Elections { get; init; }
    public long Leaders { get; init; }
    public long Crashes { get; init; }
    public long Partitions { get; init; }
    public long MessagesSent { get; init; }
    public long MessagesDropped { get; init; }
    public long MessagesDuplicated { get; init; }
    public long Truncations { get; init; }
    public long TornRecords { get; init; }
    public long VolatileRecordsLost { get; init; }
    public long CheckQuorumStepDowns { get; init; }
    public long SnapshotsWritten { get; init; }
    public long SnapshotsInstalled { get; init; }
    public long SnapshotsRejected { get; init; }
    public long TornSnapshotTempFiles { get; init; }
    /// <summary>Disks lost (a replica restarted empty) and rejoins completed (a replica caught up after one).</summary>
    public long DataLosses { get; init; }
    public long RejoinsCompleted { get; init; }

    public override string ToString() =>
        $"committed {Committed}, acked {Acknowledged}, retries {Retries}, elections {Elections}, leaders {Leaders}, crashes {Crashes}, partitions {Partitions}, " +
        $"msgs {MessagesSent} (dropped {MessagesDropped}, dup {MessagesDuplicated}), truncations {Truncations}, torn {TornRecords}, lost-volatile {VolatileRecordsLost}, step-downs {CheckQuorumStepDowns}" +
        (SnapshotsWritten > 0 ? $", snapshots {SnapshotsWritten} (installed {SnapshotsInstalled}, rejected {SnapshotsRejected}, torn temp {TornSnapshotTempFiles})" : "") +
        (DataLosses > 0 ? $", data losses {DataLosses} (rejoined {RejoinsCompleted})" : "");
}
