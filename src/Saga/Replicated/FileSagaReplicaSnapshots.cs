using Wallet.Engine.Snapshots;
using Wallet.Replication;

namespace Wallet.Saga.Replicated;

/// <summary>A replica's snapshot files on disk (<see cref="SnapshotStore"/>) and its journal-backed Raft log's retention.</summary>
internal sealed class FileSagaReplicaSnapshots(SnapshotStore snapshots, JournalRaftLog log) : ISagaReplicaSnapshots
{
    public void Write(long index, long term, long timestampNs, UInt128 digest, Action<Stream> writePayload) =>
        snapshots.Write(index, term, timestampNs, digest, writePayload);

    public long OldestIndex => snapshots.ListFiles()[^1].Index; // newest first

    public void CompactLogBefore(long index) => log.CompactBefore(index);

    public SagaStateMachine? LoadNewestValid(SagaOptions options) =>
        snapshots.LoadNewestValid((stream, _) => SagaStateMachine.Restore(options, stream),
            (machine, header) => machine.LastIndex == header.Index && machine.ComputeDigest() == header.Digest ? null : "digest or index mismatch").State;
}
