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

    /// <summary>Pre-vote and CheckQuorum (on in production; the simulation can turn them off to compare).</summary>
    public bool PreVote { get; init; } = true;
    public bool CheckQuorum { get; init; } = true;
}
