using Wallet.Engine.Snapshots;
using Wallet.Engine.Tests.Support;

namespace Wallet.Engine.Tests.Snapshots;

public sealed class SnapshotStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new("snap");

    public void Dispose() => _dir.Dispose();

    private static byte[] Payload(int seed, int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)(seed * 31 + i * 7);
        return bytes;
    }

    private static byte[] ReadAll(Stream s, SnapshotHeader h)
    {
        var buffer = new byte[h.PayloadBytes];
        s.ReadExactly(buffer);
        return buffer;
    }

    [Fact]
    public void Written_snapshot_loads_back_with_its_header()
    {
        var store = new SnapshotStore(_dir.Path);
        byte[] payload = Payload(1, 100_000);
        SnapshotInfo info = store.Write(42, 3, 1_700_000_000_000_000_000, new UInt128(1, 2), s => s.Write(payload));

        SnapshotLoadResult<byte[]> result = store.LoadNewestValid(ReadAll);

        Assert.NotNull(result.Snapshot);
        Assert.Equal(info.FilePath, result.Snapshot!.FilePath);
        Assert.Equal(42, result.Snapshot.Header.Index);
        Assert.Equal(3, result.Snapshot.Header.Term);
        Assert.Equal(new UInt128(1, 2), result.Snapshot.Header.Digest);
        Assert.Equal(payload, result.State);
        Assert.Empty(result.Rejected);
    }

    [Fact]
    public void A_write_that_fails_leaves_no_partial_file_and_the_previous_snapshot_stands()
    {
        var store = new SnapshotStore(_dir.Path);
        byte[] first = Payload(1, 4096);
        store.Write(10, 1, 1, UInt128.Zero, s => s.Write(first));

        // A payload writer that fails part-way, as a full disk does: 3 MiB written (past the 1 MiB buffer), then I/O error.
        var e = Assert.Throws<IOException>(() => store.Write(20, 1, 2, UInt128.Zero, s =>
        {
            s.Write(new byte[3 << 20]);
            throw new IOException("No space left on device");
        }));

        Assert.Equal("No space left on device", e.Message);
        string[] files = Directory.GetFiles(_dir.Path);
        Assert.Equal("snapshot-00000000000000000010.snap", Path.GetFileName(Assert.Single(files)));
        Assert.Equal(first, store.LoadNewestValid(ReadAll).State);
    }

    [Fact]
    public void Newest_snapshot_wins_and_retention_keeps_only_the_newest()
    {
        var store = new SnapshotStore(_dir.Path, retainCount: 2);
        for (int i = 1; i <= 4; i++)
        {
            byte[] p = Payload(i, 64);
            store.Write(i * 10, 1, i, UInt128.Zero, s => s.Write(p));
        }

        IReadOnlyList<(long Index, string FilePath)> files = store.ListFiles();
        Assert.Equal([40L, 30L], [files[0].Index, files[1].Index]);
        Assert.Equal(2, files.Count);
        Assert.Equal(Payload(4, 64), store.LoadNewestValid(ReadAll).State);
    }

    [Theory]
    [InlineData(0)]      // magic
    [InlineData(20)]     // index inside the header
    [InlineData(90)]     // the header checksum itself
    [InlineData(96)]     // first payload byte
    [InlineData(5000)]   // payload middle
    public void Flipped_byte_in_newest_snapshot_falls_back_to_the_previous(int offset)
    {
        var store = new SnapshotStore(_dir.Path);
        byte[] older = Payload(1, 8192);
        byte[] newer = Payload(2, 8192);
        store.Write(10, 1, 1, UInt128.Zero, s => s.Write(older));
        SnapshotInfo bad = store.Write(20, 1, 2, UInt128.Zero, s => s.Write(newer));

        byte[] raw = File.ReadAllBytes(bad.FilePath);
        raw[offset] ^= 0x40;
        File.WriteAllBytes(bad.FilePath, raw);

        SnapshotLoadResult<byte[]> result = store.LoadNewestValid(ReadAll);

        Assert.Equal(10, result.Snapshot!.Header.Index);
        Assert.Equal(older, result.State);
        SnapshotRejection rejection = Assert.Single(result.Rejected);
        Assert.Equal(bad.FilePath, rejection.FilePath);
        Assert.NotNull(SnapshotStore.Verify(bad.FilePath, out _));
    }

    [Fact]
    public void Truncated_snapshot_is_rejected_with_its_length()
    {
        var store = new SnapshotStore(_dir.Path);
        SnapshotInfo info = store.Write(5, 1, 1, UInt128.Zero, s => s.Write(Payload(3, 1000)));
        using (var f = new FileStream(info.FilePath, FileMode.Open)) f.SetLength(500);

        SnapshotLoadResult<byte[]> result = store.LoadNewestValid(ReadAll);

        Assert.Null(result.Snapshot);
        Assert.Contains("header says 1096", Assert.Single(result.Rejected).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_rejection_and_max_index_are_honoured()
    {
        var store = new SnapshotStore(_dir.Path);
        store.Write(10, 1, 1, new UInt128(0, 10), s => s.Write(Payload(1, 10)));
        store.Write(20, 1, 2, new UInt128(0, 20), s => s.Write(Payload(2, 10)));
        store.Write(30, 1, 3, new UInt128(0, 30), s => s.Write(Payload(3, 10)));

        // 30 is beyond the journal; 20 fails the caller's digest check; 10 is taken.
        SnapshotLoadResult<byte[]> result = store.LoadNewestValid(ReadAll, (_, h) => h.Index == 20 ? "digest mismatch" : null, maxIndex: 25);

        Assert.Equal(10, result.Snapshot!.Header.Index);
        Assert.Equal(2, result.Rejected.Count);
        Assert.Contains("beyond", result.Rejected[0].Reason, StringComparison.Ordinal);
        Assert.Equal("digest mismatch", result.Rejected[1].Reason);
    }

    [Fact]
    public void Reader_that_throws_invalid_data_is_a_rejection_not_a_crash()
    {
        var store = new SnapshotStore(_dir.Path);
        store.Write(7, 1, 1, UInt128.Zero, s => s.Write(Payload(1, 10)));

        SnapshotLoadResult<byte[]> result = store.LoadNewestValid<byte[]>((_, _) => throw new InvalidDataException("bad account count"));

        Assert.Null(result.State);
        Assert.Contains("bad account count", Assert.Single(result.Rejected).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Leftover_temp_file_from_a_crash_is_never_loaded()
    {
        var store = new SnapshotStore(_dir.Path);
        File.WriteAllBytes(store.PathFor(99) + ".tmp", Payload(9, 200));
        Assert.Null(store.LoadNewestValid(ReadAll).Snapshot);
    }
}
