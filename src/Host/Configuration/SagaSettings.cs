using Microsoft.Extensions.Configuration;
using Wallet.Engine.Partition;
using Wallet.Saga;
using static Wallet.Host.Configuration.SettingsReader;

namespace Wallet.Host.Configuration;

/// <summary>
/// The "Saga" section: how a single-node <c>wallet serve</c> with several partitions carries transfers whose two
/// accounts live on different partitions (docs/SAGA.md). Reference: docs/serve.md, "Partitions".
/// </summary>
internal sealed class SagaSettings
{
    /// <summary>The same defaults as <see cref="SagaOptions"/>.</summary>
    private const long DefaultStepDeadlineMs = 5000;
    private const int DefaultTableSize = 65_536;

    /// <summary>"Saga:Enabled" (default true): false refuses cross-partition transfers, as one partition always does.</summary>
    public required bool Enabled { get; init; }
    /// <summary>"Saga:Mode": saga (default), tcc or 2pc.</summary>
    public required SagaMode Mode { get; init; }
    /// <summary>The sequencer's own journal ("Saga:Directory", default &lt;data&gt;/saga).</summary>
    public required string DataDirectory { get; init; }
    public required long StepDeadlineMs { get; init; }
    public required int MaxActiveSagas { get; init; }
    public required int RetainedCompletedSagas { get; init; }
    public required long RetryIntervalMs { get; init; }
    /// <summary>"Saga:SnapshotEveryCommands" (default 65,536; 0 = never): a restart replays only the journal after the newest snapshot.</summary>
    public required long SnapshotEveryCommands { get; init; }
    /// <summary>"Saga:JournalRetention": KeepAll (default) or BeforeOldestSnapshot (prunes the sequencer's journal behind its snapshots).</summary>
    public required JournalRetention JournalRetention { get; init; }
    /// <summary>
    /// Cluster only: the System user ("Saga:PeerUser", default saga-peer) and its password ("Saga:PeerPassword"; set it
    /// through WALLET_Saga__PeerPassword in production) with which the saga leader sends steps to partitions led by
    /// other nodes. Every node's Users must hold that user with Role System.
    /// </summary>
    public required string PeerUser { get; init; }
    public required string PeerPassword { get; init; }

    public static SagaSettings Load(IConfigurationSection s, string dataDirectory)
    {
        string enabled = String(s, "Enabled", "true");
        if (!bool.TryParse(enabled, out bool on))
            throw new SettingsException($"{Path(s, "Enabled")} = '{enabled}' is invalid: expected true or false.");
        string mode = String(s, "Mode", "saga");
        SagaMode parsed = mode.ToLowerInvariant() switch
        {
            "saga" => SagaMode.Saga,
            "tcc" => SagaMode.Tcc,
            "2pc" or "twophasecommit" => SagaMode.TwoPhaseCommit,
            _ => throw new SettingsException($"{Path(s, "Mode")} = '{mode}' is invalid: expected saga, tcc or 2pc."),
        };
        string directory = String(s, "Directory", string.Empty);
        long snapshotEvery = Long(s, "SnapshotEveryCommands", 65_536, 0, long.MaxValue);
        JournalRetention retention = Enum(s, "JournalRetention", JournalRetention.KeepAll);
        if (retention == JournalRetention.BeforeOldestSnapshot && snapshotEvery == 0)
            throw new SettingsException($"{Path(s, "JournalRetention")} = BeforeOldestSnapshot needs snapshots: set {Path(s, "SnapshotEveryCommands")} above 0.");
        return new SagaSettings
        {
            Enabled = on,
            Mode = parsed,
            DataDirectory = directory.Length == 0 ? System.IO.Path.Combine(dataDirectory, "saga") : System.IO.Path.GetFullPath(directory),
            StepDeadlineMs = Long(s, "StepDeadlineMs", DefaultStepDeadlineMs, 1, 3_600_000),
            MaxActiveSagas = Int(s, "MaxActiveSagas", DefaultTableSize, 1, SagaOptions.MaxTableCapacity),
            RetainedCompletedSagas = Int(s, "RetainedCompletedSagas", DefaultTableSize, 0, SagaOptions.MaxTableCapacity),
            RetryIntervalMs = Long(s, "RetryIntervalMs", 250, 1, 600_000),
            SnapshotEveryCommands = snapshotEvery,
            JournalRetention = retention,
            PeerUser = String(s, "PeerUser", "saga-peer"),
            PeerPassword = String(s, "PeerPassword", "saga-peer-dev-password"),
        };
    }
}
