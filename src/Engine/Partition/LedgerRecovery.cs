using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Snapshots;

namespace Wallet.Engine.Partition;

/// <summary>What recovery did on open: which snapshot it started from, what it rejected, how much it replayed.</summary>
public sealed record RecoveryReport(
    SnapshotInfo? Snapshot,
    IReadOnlyList<SnapshotRejection> RejectedSnapshots,
    long ReplayedCommands,
    long RegeneratedEventRecords,
    long LastIndex);

/// <summary>
/// Restart = newest valid snapshot + command-journal tail. A snapshot is valid when its header and payload
/// checksums verify, its index is within the journals, and the restored state's digest equals the digest stored
/// with it. Corrupt snapshots are skipped (reported) and the previous one is used; with none, recovery replays
/// from genesis, which needs the journal to start at index 1.
/// </summary>
public static class LedgerRecovery
{
    public static (LedgerStateMachine Ledger, RecoveryReport Report) Recover(
        LedgerOptions ledgerOptions, Journal.Journal commands, SnapshotStore snapshots, Journal.Journal? events)
    {
        ArgumentNullException.ThrowIfNull(ledgerOptions);
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(snapshots);

        if (events is not null && events.LastIndex > commands.LastIndex)
        {
            // Events are derived from commands; ones past the command log (cut by recovery or repair) go too.
            events.TruncateAfter(commands.LastIndex);
        }

        long maxSnapshotIndex = commands.LastIndex;
        if (events is not null && !IsEmpty(events)) maxSnapshotIndex = Math.Min(maxSnapshotIndex, events.LastIndex);

        SnapshotLoadResult<LedgerStateMachine> loaded = snapshots.LoadNewestValid(
            (stream, _) => LedgerStateMachine.Restore(ledgerOptions, stream),
            static (ledger, header) =>
            {
                if (ledger.LastIndex != header.Index) return $"state is at index {ledger.LastIndex}, header says {header.Index}";
                UInt128 digest = ledger.ComputeDigest();
                return digest == header.Digest ? null : $"digest mismatch (stored {header.Digest:x32}, restored state {digest:x32})";
            },
            maxSnapshotIndex);

        LedgerStateMachine ledger = loaded.State ?? new LedgerStateMachine(ledgerOptions);
        long from = ledger.LastIndex + 1;
        if (!IsEmpty(commands) && from < commands.FirstIndex)
        {
            throw new InvalidOperationException(
                $"cannot recover: the command journal starts at index {commands.FirstIndex} but the newest valid snapshot " +
                $"is at index {ledger.LastIndex}; restore a snapshot or the missing journal segments");
        }

        long replayed = 0, regenerated = 0;
        if (from <= commands.LastIndex)
        {
            var sink = new EventBatchSink(ledgerOptions);
            var results = new CreateResult[ledgerOptions.MaxBatchSize + 1];
            using JournalReader reader = commands.OpenReader(from);
            while (reader.TryRead(out JournalRecord record))
            {
                sink.Reset();
                var stamp = new CommandStamp(record.Index, record.Term, record.Timestamp);
                ledger.Execute(stamp, (CommandKind)record.Type, record.Payload, results, ref sink);
                if (events is not null && record.Index > events.LastIndex)
                {
                    events.Append(record.Type, record.Index, record.Term, record.Timestamp, sink.Written);
                    regenerated++;
                }
                replayed++;
            }
            events?.Flush();
        }
        if (ledger.LastIndex != commands.LastIndex && !IsEmpty(commands))
            throw new InvalidOperationException($"recovery ended at index {ledger.LastIndex}, the journal at {commands.LastIndex}");

        return (ledger, new RecoveryReport(loaded.Snapshot, loaded.Rejected, replayed, regenerated, ledger.LastIndex));
    }

    private static bool IsEmpty(Journal.Journal journal) => journal.LastIndex < journal.FirstIndex;
}
