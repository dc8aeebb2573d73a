using Wallet.Engine.Journal;
using Wallet.Engine.Snapshots;

namespace Wallet.Saga;

/// <summary>
/// Where a saga table starts at boot, for the single-node coordinator and for a replica alike: the newest snapshot whose
/// checksums and digest verify and which the journal continues right after; with none usable, an empty table — unless
/// the journal no longer starts at index 1 (pruned behind snapshots that are now all gone), which is refused with the
/// reasons, never read as an empty table.
/// </summary>
internal static class SagaSnapshotLoader
{
    public static SagaStateMachine LoadNewest(Journal journal, SnapshotStore snapshots, SagaOptions options, out SnapshotLoadResult<SagaStateMachine> loaded)
    {
        loaded = snapshots.LoadNewestValid(
            (stream, _) => SagaStateMachine.Restore(options, stream),
            (machine, header) =>
            {
                if (machine.LastIndex != header.Index) return $"the state says index {machine.LastIndex}, the header {header.Index}";
                if (machine.ComputeDigest() != header.Digest) return "the state's digest does not match the header's";
                if (header.Index < journal.FirstIndex - 1) return $"the journal starts at {journal.FirstIndex}, after the snapshot's {header.Index} + 1";
                return null;
            },
            maxIndex: journal.LastIndex);
        if (loaded.State is null && journal.FirstIndex > 1)
        {
            throw new InvalidDataException(
                $"the saga journal in {journal.Options.Directory} starts at index {journal.FirstIndex} (older segments were pruned) and no valid snapshot covers " +
                $"what is missing ({loaded.Rejected.Count} rejected: {string.Join("; ", loaded.Rejected.Select(r => Path.GetFileName(r.FilePath) + ": " + r.Reason))})");
        }

        return loaded.State ?? new SagaStateMachine(options);
    }
}
