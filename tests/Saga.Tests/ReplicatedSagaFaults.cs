namespace Wallet.Saga.Tests;

/// <summary>Shape of one replicated-saga simulation run (1 step = 1 ms of simulated time; rates are per step, per million).</summary>
public sealed record ReplicatedSagaFaults
{
    /// <summary>Ledger partitions (each its own process: crashes and restarts from snapshot + journal).</summary>
    public int Partitions { get; init; } = 3;

    /// <summary>Steps with faults and new transfers; then everything heals and the run must converge within <see cref="MaxHealMs"/>.</summary>
    public int FaultMs { get; init; } = 1_500;

    public int MaxHealMs { get; init; } = 20_000;

    /// <summary>Clients: a new cross-partition transfer, a repeat of an answered one, a same-partition transfer (2PC locks).</summary>
    public int NewTransferPerMillion { get; init; } = 250_000;

    /// <summary>A burst of 20..60 new transfers in one step.</summary>
    public int BurstPerMillion { get; init; } = 3_000;

    public int RepeatAnsweredPerMillion { get; init; } = 40_000;

    public int DirectTransferPerMillion { get; init; } = 150_000;

    /// <summary>A client that has no answer this long resubmits (the earlier attempt's answer, if any comes, must agree).</summary>
    public int ClientTimeoutMs { get; init; } = 400;

    /// <summary>The saga group's own network (Raft messages between its replicas).</summary>
    public int RaftLossPerMillion { get; init; } = 20_000;

    public int RaftDuplicatePerMillion { get; init; } = 20_000;

    public int RaftMaxDelayMs { get; init; } = 8;

    /// <summary>The links between the saga replicas and the partitions (steps, answers, clearing accounts).</summary>
    public int LinkLossPerMillion { get; init; } = 50_000;

    public int LinkDuplicatePerMillion { get; init; } = 50_000;

    public int LinkMaxDelayMs { get; init; } = 15;

    /// <summary>Kill whichever replica leads (mid-flight: its waiters, inbox and unsynced log tail are lost).</summary>
    public int LeaderKillPerMillion { get; init; } = 1_500;

    /// <summary>Scripted: at each of these steps (fault phase) whichever replica leads is killed.</summary>
    public IReadOnlyList<int> LeaderKillsAtMs { get; init; } = [];

    /// <summary>Crash any replica (often a follower); down replicas restart at <see cref="ReplicaRestartPerMillion"/>.</summary>
    public int ReplicaCrashPerMillion { get; init; } = 1_500;

    public int ReplicaRestartPerMillion { get; init; } = 15_000;

    /// <summary>Cut the saga group's network (isolate one replica, one direction of a link, or a random split); heal all links.</summary>
    public int NetworkPartitionPerMillion { get; init; } = 2_500;

    public int NetworkHealPerMillion { get; init; } = 6_000;

    /// <summary>Crash a ledger partition (down 1..30 ms; a third of restarts lose its snapshot and replay the whole journal).</summary>
    public int PartitionCrashPerMillion { get; init; } = 2_000;

    /// <summary>Each replica's clock is off the true time by up to this much (seeded); a clock step moves it by up to three times as much.</summary>
    public int ClockSkewMs { get; init; } = 30;

    public int ClockStepPerMillion { get; init; } = 1_000;

    /// <summary>Every replica snapshots its table every this many applied commands; with <see cref="CompactLog"/> the log behind is dropped.</summary>
    public int SnapshotEveryCommands { get; init; } = 40;

    public bool CompactLog { get; init; } = true;

    public static ReplicatedSagaFaults Default { get; } = new();

    /// <summary>A perfect network and no random fault (only what a test scripts, e.g. <see cref="LeaderKillsAtMs"/>).</summary>
    public static ReplicatedSagaFaults Quiet { get; } = new()
    {
        RaftLossPerMillion = 0, RaftDuplicatePerMillion = 0, LinkLossPerMillion = 0, LinkDuplicatePerMillion = 0, LeaderKillPerMillion = 0,
        ReplicaCrashPerMillion = 0, NetworkPartitionPerMillion = 0, PartitionCrashPerMillion = 0, ClockStepPerMillion = 0,
    };

    /// <summary>
    /// Harsher: 10% loss and 5% duplication on both networks, delays up to 25 ms (round trips near the 60 ms election
    /// timeout, so elections race with slow messages), twice the leader kills and the splits, more crashes, faster restarts.
    /// </summary>
    public static ReplicatedSagaFaults Harsh { get; } = new()
    {
        RaftLossPerMillion = 100_000, RaftDuplicatePerMillion = 50_000, RaftMaxDelayMs = 25,
        LinkLossPerMillion = 100_000, LinkDuplicatePerMillion = 50_000, LinkMaxDelayMs = 25,
        LeaderKillPerMillion = 3_000, ReplicaCrashPerMillion = 2_000, ReplicaRestartPerMillion = 30_000, NetworkPartitionPerMillion = 5_000,
        PartitionCrashPerMillion = 4_000,
        ClientTimeoutMs = 600,
    };
}
