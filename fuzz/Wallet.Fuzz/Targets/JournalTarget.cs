using Wallet.Engine.Journal;

namespace Wallet.Fuzz.Targets;

/// <summary>
/// A journal segment file as `wallet audit verify` and replay meet it on disk: <see cref="Journal.Verify"/> must never
/// throw for bad bytes (its contract: the first problem is returned with a reason), and a segment it calls valid must
/// open read-only and read back exactly the records it counted, with consecutive indexes. The journal is the legal
/// record: the tools that read it must survive any content.
/// </summary>
internal static class JournalTarget
{
    private const string Prefix = "fz";
    private const int MaxRecordBytes = 4096;
    private static readonly string s_directory = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"wallet-fuzz-journal-{Environment.ProcessId}");
    private static readonly string s_segment = Path.Combine(s_directory, SegmentFile.FileName(Prefix, 1));

    public static void Run(ReadOnlySpan<byte> input)
    {
        Directory.CreateDirectory(s_directory);
        File.WriteAllBytes(s_segment, input.ToArray());
        JournalVerifyResult verify = Journal.Verify(s_directory, Prefix);
        if (!verify.Ok)
        {
            if (string.IsNullOrEmpty(verify.Reason)) throw new FuzzFinding("Journal.Verify: a problem without a reason");
            return;
        }
        using Journal journal = Journal.OpenReadOnly(new JournalOptions { Directory = s_directory, FilePrefix = Prefix, SegmentSizeBytes = JournalOptions.MinSegmentSizeBytes, MaxRecordBytes = MaxRecordBytes });
        using JournalReader reader = journal.OpenReader(verify.FirstIndex);
        long count = 0, expected = verify.FirstIndex;
        while (reader.TryRead(out JournalRecord record))
        {
            if (record.Index != expected) throw new FuzzFinding($"JournalReader: index {record.Index}, expected {expected}");
            expected++;
            count++;
        }
        if (count != verify.RecordCount) throw new FuzzFinding($"Journal.Verify counted {verify.RecordCount} records, the reader read {count}");
    }

    public static IReadOnlyList<byte[]> Seeds()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"wallet-fuzz-seed-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var seeds = new List<byte[]>();
            using (Journal j = Journal.Open(new JournalOptions { Directory = dir, FilePrefix = Prefix, SegmentSizeBytes = JournalOptions.MinSegmentSizeBytes, MaxRecordBytes = MaxRecordBytes, Fsync = FsyncPolicy.None }))
            {
                byte[] payload = new byte[200];
                for (int i = 1; i <= 5; i++)
                {
                    payload.AsSpan().Fill((byte)i);
                    j.Append(1, i, 1, 1_700_000_000_000_000_000 + i, payload.AsSpan(0, 40 * i));
                    j.Flush();
                    if (i is 1 or 5) seeds.Add(Snapshot(dir)); // one record; five (the segment is created by the first append)
                }
            }
            return seeds;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static byte[] Snapshot(string dir) => File.ReadAllBytes(Path.Combine(dir, SegmentFile.FileName(Prefix, 1)));
}
