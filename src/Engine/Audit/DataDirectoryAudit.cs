using Wallet.Engine.Journal;
using Wallet.Engine.Partition;
using Wallet.Engine.Snapshots;

namespace Wallet.Engine.Audit;

/// <summary>One finding of an audit: which file, where, and what is wrong (null reason = verified).</summary>
public sealed record AuditFinding(string What, string? FilePath, long? Offset, long? Index, string? Reason)
{
    public bool Ok => Reason is null;
}

/// <summary>The result of <see cref="DataDirectoryAudit.Verify"/>.</summary>
public sealed record AuditReport(IReadOnlyList<AuditFinding> Findings)
{
    public bool Ok
    {
        get
        {
            foreach (AuditFinding f in Findings) if (!f.Ok) return false;
            return true;
        }
    }
}

/// <summary>
/// Read-only verification of a partition's data directory: the hash chain, CRCs and index continuity of the
/// command and event journals, and the checksums of every snapshot. Reports the first bad record of each journal
/// by file and offset. Never modifies anything.
/// </summary>
public static class DataDirectoryAudit
{
    public static AuditReport Verify(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        if (!Directory.Exists(dataDirectory)) throw new DirectoryNotFoundException($"data directory '{dataDirectory}' does not exist");
        var findings = new List<AuditFinding>();
        foreach (string prefix in new[] { PartitionEngine.CommandJournalPrefix, PartitionEngine.EventJournalPrefix })
        {
            JournalVerifyResult r = Journal.Journal.Verify(dataDirectory, prefix);
            findings.Add(r.Ok
                ? new AuditFinding($"{prefix} journal: {r.RecordCount} records", null, null, null, null)
                : new AuditFinding($"{prefix} journal", r.FilePath, r.Offset, r.Index, r.Reason));
        }
        var store = new SnapshotStore(dataDirectory, PartitionEngine.SnapshotPrefix);
        foreach ((long index, string path) in store.ListFiles())
        {
            string? reason = SnapshotStore.Verify(path, out _);
            findings.Add(new AuditFinding($"snapshot at index {index}", path, reason is null ? null : 0, index, reason));
        }
        return new AuditReport(findings);
    }
}
