namespace Wallet.Saga;

/// <summary>
/// How a <see cref="SagaCoordinator"/> rebuilt its table at start: the snapshot it loaded (0 = none, replay from
/// genesis), the journal commands replayed after it, and snapshot files skipped as unusable (newer ones first).
/// </summary>
public readonly record struct SagaRecovery(long SnapshotIndex, long CommandsReplayed, int SnapshotsRejected);
