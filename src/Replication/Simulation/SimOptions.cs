namespace Wallet.Replication.Simulation;

/// <summary>Shape of one simulated run. Everything random is drawn from the seed; the same seed and options replay exactly.</summary>
public sealed class SimOptions
{
    /// <summary>Replicas: 1, 3 or 5.</summary>
    public int Replicas { get; init; } = 3;

    /// <summary>Fault-phase length in steps (1 step = 1 ms of virtual time).</summary>
    public int Steps { get; init; } = 4000;

    /// <summary>Steps allowed after all faults are healed for the workload to finish and the replicas to converge.</summary>
    public int HealSteps { get; init; } = 6000;

    public int ElectionTimeoutMs { get; init; } = 60;
    public int HeartbeatIntervalMs { get; init; } = 15;
    public int ResendTimeoutMs { get; init; } = 30;

    public int MinDelayMs { get; init; } = 1;
    public int MaxDelayMs { get; init; } = 8;
    public int LossPerMillion { get; init; } = 20_000;
    public int DuplicatePerMillion { get; init; } = 20_000;

    /// <summary>Per step: chance to crash an up replica, restart a down one, cut a partition, heal all links.</summary>
    public int CrashPerMillion { get; init; } = 1_500;
    public int RestartPerMillion { get; init; } = 8_000;
    public int PartitionPerMillion { get; init; } = 2_000;
    public int HealPerMillion { get; init; } = 3_000;

    /// <summary>Workload: accounts, outstanding client commands, transfers per command, client retry timeout.</summary>
    public int Accounts { get; init; } = 6;
    public int MaxOutstanding { get; init; } = 4;
    public int MaxTransfersPerCommand { get; init; } = 3;
    public int ClientTimeoutMs { get; init; } = 200;

    /// <summary>Small pipelining window so that flow control is exercised.</summary>
    public int MaxMessageBytes { get; init; } = 4096;
    public int MaxInFlightBytesPerFollower { get; init; } = 16384;

    /// <summary>
    /// A harsher profile: 10% loss, 5% duplication, delays up to 25 ms (round trips close to the election timeout, so
    /// elections race with slow messages), higher crash and partition rates.
    /// </summary>
    public static SimOptions Harsh(int replicas, int steps, int healSteps) => new()
    {
        Replicas = replicas,
        Steps = steps,
        HealSteps = healSteps,
        MaxDelayMs = 25,
        LossPerMillion = 100_000,
        DuplicatePerMillion = 50_000,
        CrashPerMillion = 2_500,
        RestartPerMillion = 10_000,
        PartitionPerMillion = 4_000,
        HealPerMillion = 6_000,
        ClientTimeoutMs = 400,
    };

    /// <summary>
    /// Snapshots and log compaction: each replica snapshots its state every this many applied entries (0: never; the
    /// log is kept whole), keeps <see cref="RetainMarginEntries"/> entries below the snapshot, and a follower the
    /// leader's log no longer covers is caught up by InstallSnapshot in chunks of <see cref="SnapshotChunkBytes"/>.
    /// </summary>
    public int SnapshotIntervalEntries { get; init; }
    public int RetainMarginEntries { get; init; } = 8;
    public int SnapshotChunkBytes { get; init; } = 3072;

    /// <summary>Chance that one snapshot chunk is garbled on the receiver's disk (its verification must reject the file).</summary>
    public int SnapshotGarblePerMillion { get; init; } = 1_500;

    /// <summary>
    /// The compaction profile: snapshots every 30 entries with a margin of 8, so replicas that are down or cut off for
    /// a few hundred steps fall behind the leaders' logs and must be caught up by snapshot; crashes hit mid-install.
    /// </summary>
    public static SimOptions WithSnapshots(int replicas, bool harsh = false) =>
        (harsh ? Harsh(replicas, 4000, 6000) : new SimOptions { Replicas = replicas }).WithSnapshots();

    /// <summary>This profile with the compaction settings of <see cref="WithSnapshots(int, bool)"/>.</summary>
    public SimOptions WithSnapshots() => Copy(30, 8, DataLossPerMillion, RejoinAfterDataLoss);

    /// <summary>This profile with data loss at restarts (<see cref="DataLossPerMillion"/>), the lost replica rejoining or not.</summary>
    public SimOptions WithDataLoss(int perMillion, bool rejoin) => Copy(SnapshotIntervalEntries, RetainMarginEntries, perMillion, rejoin);

    private SimOptions Copy(int snapshotInterval, int retainMargin, int dataLossPerMillion, bool rejoin)
    {
        var b = this;
        return new SimOptions
        {
            Replicas = b.Replicas, Steps = b.Steps, HealSteps = b.HealSteps, MaxDelayMs = b.MaxDelayMs, LossPerMillion = b.LossPerMillion,
            DuplicatePerMillion = b.DuplicatePerMillion, CrashPerMillion = b.CrashPerMillion, RestartPerMillion = b.RestartPerMillion,
            PartitionPerMillion = b.PartitionPerMillion, HealPerMillion = b.HealPerMillion, ClientTimeoutMs = b.ClientTimeoutMs,
            PreVote = b.PreVote, CheckQuorum = b.CheckQuorum, ElectionTimeoutMs = b.ElectionTimeoutMs, HeartbeatIntervalMs = b.HeartbeatIntervalMs,
            ResendTimeoutMs = b.ResendTimeoutMs, MinDelayMs = b.MinDelayMs, Accounts = b.Accounts, MaxOutstanding = b.MaxOutstanding,
            MaxTransfersPerCommand = b.MaxTransfersPerCommand, MaxMessageBytes = b.MaxMessageBytes, MaxInFlightBytesPerFollower = b.MaxInFlightBytesPerFollower,
            SnapshotIntervalEntries = snapshotInterval,
            RetainMarginEntries = retainMargin,
            DataLossPerMillion = dataLossPerMillion,
            RejoinAfterDataLoss = rejoin,
        };
    }

    /// <summary>
    /// Data loss: when a replica that has been down for at least 2 × ElectionTimeoutMs + MaxDelayMs is restarted in the
    /// fault phase, the chance that its disk was lost (log, hard state and snapshots replaced by empty ones). At most one
    /// replica is in that state at a time (until it is caught up again). 0 (the default) draws nothing, so existing seeds
    /// replay unchanged.
    /// </summary>
    public int DataLossPerMillion { get; init; }

    /// <summary>A replica whose disk was lost restarts with <see cref="RaftOptions.RejoinAfterDataLoss"/> (false shows why it exists).</summary>
    public bool RejoinAfterDataLoss { get; init; } = true;

    /// <summary>Pre-vote and CheckQuorum (on in production; the simulation can turn them off to compare).</summary>
    public bool PreVote { get; init; } = true;
    public bool CheckQuorum { get; init; } = true;
}
