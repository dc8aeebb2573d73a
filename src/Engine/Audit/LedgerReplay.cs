using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.Snapshots;

namespace Wallet.Engine.Audit;

/// <summary>The state a replay produced and how it got there.</summary>
public sealed record ReplayResult(LedgerStateMachine Ledger, long StartSnapshotIndex, long CommandsReplayed, long LastIndex, long LastTimestampNs);

/// <summary>
/// Reproduces the ledger at any past point from a data directory, read-only: from genesis, or from the newest
/// valid snapshot at or before the target, plus the command journal up to the target. Because the BLP is a pure
/// function of (state, command), the result is exactly the state the live BLP had at that point — the journal
/// is the legal source of truth, and this is how it is read.
/// </summary>
public static class LedgerReplay
{
    public static ReplayResult Replay(string dataDirectory, LedgerOptions ledgerOptions, ReplayTarget target, bool useSnapshots = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        ArgumentNullException.ThrowIfNull(ledgerOptions);
        if (!Directory.Exists(dataDirectory)) throw new DirectoryNotFoundException($"data directory '{dataDirectory}' does not exist");

        // The replay checks every record it applies as it reads it (JournalReader); reading the whole journal once more
        // on open would only check records past the target. `wallet audit verify` checks them all.
        using Journal.Journal commands = Journal.Journal.OpenReadOnly(new JournalOptions
        {
            Directory = dataDirectory, FilePrefix = PartitionEngine.CommandJournalPrefix, OpenValidation = JournalOpenValidation.LastSegment,
        });
        return Replay(commands, dataDirectory, ledgerOptions, target, useSnapshots);
    }

    /// <summary>
    /// As <see cref="Replay(string, LedgerOptions, ReplayTarget, bool)"/> over a command journal the caller opened (read-only;
    /// a caller may want to time or report the open on its own). Every record applied is checked as it is read.
    /// </summary>
    public static ReplayResult Replay(Journal.Journal commands, string dataDirectory, LedgerOptions ledgerOptions, ReplayTarget target, bool useSnapshots = true)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        ArgumentNullException.ThrowIfNull(ledgerOptions);
        LedgerStateMachine? ledger = null;
        long startIndex = 0;
        if (useSnapshots)
        {
            var store = new SnapshotStore(dataDirectory, PartitionEngine.SnapshotPrefix);
            long maxIndex = Math.Min(commands.LastIndex, target.Index);
            SnapshotLoadResult<LedgerStateMachine> loaded = store.LoadNewestValid(
                (stream, _) => LedgerStateMachine.Restore(ledgerOptions, stream),
                (state, header) =>
                {
                    if (header.Timestamp > target.TimestampNs) return "taken after the target time";
                    return state.ComputeDigest() == header.Digest ? null : "digest mismatch";
                },
                maxIndex);
            if (loaded.State is not null)
            {
                ledger = loaded.State;
                startIndex = ledger.LastIndex;
            }
        }
        ledger ??= new LedgerStateMachine(ledgerOptions);

        long from = ledger.LastIndex + 1;
        long replayed = 0;
        if (commands.LastIndex >= from)
        {
            if (from < commands.FirstIndex)
                throw new InvalidOperationException($"the journal starts at index {commands.FirstIndex}; replay to {target} needs a snapshot at or after index {commands.FirstIndex - 1}");
            var sink = new NullLedgerEventSink();
            var results = new CreateResult[ledgerOptions.MaxBatchSize + 1];
            ReserveForJournal(ledger, commands, from, target.Index);
            // Validation, faults and disk reads on another thread: this one only applies (BENCHMARKS §25).
            using var reader = new JournalReadAhead(commands, from, target.Index);
            while (reader.TryRead(out JournalRecord record))
            {
                if (!target.Includes(record.Index, record.Timestamp)) break;
                ledger.Execute(new CommandStamp(record.Index, record.Term, record.Timestamp), (CommandKind)record.Type, record.Payload, results, ref sink);
                replayed++;
            }
        }
        return new ReplayResult(ledger, startIndex, replayed, ledger.LastIndex, ledger.LastTimestamp);
    }

    /// <summary>
    /// Sizes the ledger's tables for the journal records about to be replayed, from their size alone: every item is at least
    /// 128 bytes, so records/128 bounds both the accounts and the transfers it can add (the ledger caps each at its
    /// limits). Replaying a large journal then allocates each table once instead of doubling through every size
    /// (fresh-page faults, copies and rehashes were most of a from-genesis replay's time, §2b of BENCHMARKS.md).
    /// The state is the same either way: capacity is not observable.
    /// </summary>
    internal static void ReserveForJournal(LedgerStateMachine ledger, Journal.Journal commands, long fromIndex, long toIndex = long.MaxValue)
    {
        // Only the part still to replay: after a snapshot the tail may be a small part of a long retained journal, and a
        // replay to an index (audit at a past moment) may need a small part of its head.
        long items = commands.RecordBytesBetween(fromIndex, toIndex) / Transfer.SizeBytes;
        ledger.ReserveCapacity(ledger.AccountCount + items, ledger.StoredTransferCount + items);
    }

    /// <summary>The account as it stood at <paramref name="target"/>, reproduced by replay; false if it did not exist yet.</summary>
    public static bool TryGetAccountAt(string dataDirectory, LedgerOptions ledgerOptions, UInt128 accountId, ReplayTarget target, out Account account)
    {
        ReplayResult result = Replay(dataDirectory, ledgerOptions, target);
        return result.Ledger.TryGetAccount(accountId, out account);
    }
}
