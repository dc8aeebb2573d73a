using Wallet.Engine.Journal;
using Wallet.Engine.Snapshots;

namespace Wallet.Engine.Partition;

/// <summary>Recovery-time repair of the journals after a snapshot installed from the leader (external sequencing).</summary>
internal static class CommandRetention
{
    /// <summary>
    /// Installing a received snapshot is two steps: rename it into the snapshot directory (the commit point), then
    /// restart the command and event journals after its index. If the newest snapshot (header and size checked) is past
    /// the command journal's end, or the journal holds a different term at its index, the crash came between the two:
    /// finish the second step. Under consensus a snapshot only ever holds committed state, so it wins over a log that
    /// does not contain it (anything in that log after a mismatch is an uncommitted, conflicting suffix).
    /// </summary>
    public static void ReconcileInstalledSnapshot(SnapshotStore store, Journal.Journal commands, Journal.Journal? events)
    {
        foreach ((long index, string path) in store.ListFiles())
        {
            if (SnapshotStore.ReadHeader(path, out SnapshotHeader header, out _) is not null) continue; // recovery reports it
            if (index != header.Index) continue;
            if (TermAt(commands, header.Index) == header.Term) return; // the journal contains it: nothing to repair
            if (header.Index < commands.FirstIndex - 1) return; // the journal starts after it (compacted): a newer state is in the log
            commands.ResetAfter(header.Index, header.Term, header.Timestamp);
            events?.ResetAfter(header.Index, header.Term, header.Timestamp);
            return;
        }
    }

    /// <summary>Term of the record at <paramref name="index"/> (the boundary term at FirstIndex - 1), -1 when not held.</summary>
    private static long TermAt(Journal.Journal journal, long index)
    {
        if (index == journal.FirstIndex - 1) return journal.TermBeforeFirst;
        if (index < journal.FirstIndex || index > journal.LastIndex) return -1;
        using JournalReader reader = journal.OpenReader(index);
        return reader.TryRead(out JournalRecord record) ? record.Term : -1;
    }
}
