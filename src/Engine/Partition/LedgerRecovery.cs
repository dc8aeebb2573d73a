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
    /// <param name="ledgerOptions">The ledger's configuration (must match the snapshots').</param>
    /// <param name="commands">The command journal, opened (its torn tail already cut).</param>
    /// <param name="snapshots">Where snapshots live; the newest valid one is the starting point.</param>
    /// <param name="events">The event journal, regenerated where it is behind; null when off.</param>
    /// <param name="replayUpToIndex">
    /// Highest command index to apply (default: the whole journal). Under consensus the journal's tail may hold
    /// entries not yet known to be committed; they stay in the journal, unapplied, until the consensus module
    /// publishes them as committed.
    /// </param>
    public static (LedgerStateMachine Ledger, RecoveryReport Report) Recover(
        LedgerOptions ledgerOptions, Journal.Journal commands, SnapshotStore snapshots, Journal.Journal? events,
        long replayUpToIndex = long.MaxValue)
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
        long startIndex = ledger.LastIndex;
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
            Audit.LedgerReplay.ReserveForJournal(ledger, commands, from);
            // Validation, faults and disk reads on another thread: this one only applies (BENCHMARKS §25).
            using var reader = new JournalReadAhead(commands, from, replayUpToIndex);
            while (reader.TryRead(out JournalRecord record))
            {
                if (record.Index > replayUpToIndex) break;
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
        long expectedEnd = Math.Max(Math.Min(commands.LastIndex, replayUpToIndex), startIndex);
        if (ledger.LastIndex != expectedEnd && !IsEmpty(commands))
            throw new InvalidOperationException($"recovery ended at index {ledger.LastIndex}, expected {expectedEnd} (journal ends at {commands.LastIndex})");

        return (ledger, new RecoveryReport(loaded.Snapshot, loaded.Rejected, replayed, regenerated, ledger.LastIndex));
    }

    private static bool IsEmpty(Journal.Journal journal) => journal.LastIndex < journal.FirstIndex;
}
