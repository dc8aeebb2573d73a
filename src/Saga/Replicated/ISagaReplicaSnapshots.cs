namespace Wallet.Saga.Replicated;

/// <summary>
/// A saga replica's snapshot files and the log retention behind them, as <see cref="SagaReplicaCore"/> uses them: the
/// product's <see cref="FileSagaReplicaSnapshots"/> (engine <c>SnapshotStore</c> + <c>JournalRaftLog</c>) or the
/// simulator's in-memory disk. Called on the replica's driver thread only.
/// </summary>
internal interface ISagaReplicaSnapshots
{
    /// <summary>Writes the table at <paramref name="index"/> (durable on return); I/O failures throw IOException or UnauthorizedAccessException.</summary>
    void Write(long index, long term, long timestampNs, UInt128 digest, Action<Stream> writePayload);

    /// <summary>Index of the oldest snapshot kept (after a <see cref="Write"/>: there is at least one).</summary>
    long OldestIndex { get; }

    /// <summary>Retention: drops log entries before <paramref name="index"/> (all covered by a kept snapshot).</summary>
    void CompactLogBefore(long index);

    /// <summary>The newest snapshot that loads as a table whose index and digest match its header; null when none does.</summary>
    SagaStateMachine? LoadNewestValid(SagaOptions options);
}
