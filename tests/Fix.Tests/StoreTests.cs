using Wallet.Fix.Tests.Support;
using Wallet.Gateway.Fix;

namespace Wallet.Fix.Tests;

/// <summary>The persisted sequence numbers and resend store: survive reopen, bounded, torn tails cut.</summary>
public sealed class StoreTests : IDisposable
{
    private readonly TempDirectory _dir = new("fix-store");

    public void Dispose() => _dir.Dispose();

    // Fix:Fsync none: no zero-filled room ahead of the messages file, so its length is exactly its records (the bound
    // test reads it). The other policies are covered by StoreDurabilityTests.
    private FixSessionStore Open(int capacity = 8) => new(_dir.Path, "W-P", capacity, 1200, Wallet.Engine.Journal.FsyncPolicy.None);

    private static byte[] Body(int seq) => System.Text.Encoding.ASCII.GetBytes($"5001={seq}\u0001");

    [Fact]
    public void Numbers_and_messages_survive_a_reopen()
    {
        using (FixSessionStore s = Open())
        {
            for (int i = 0; i < 5; i++)
            {
                int seq = s.TakeSenderSeq();
                if (seq % 2 == 0) s.Append(seq, 1000 + seq, "UR"u8, Body(seq));
            }
            s.SetNextTargetSeq(42);
        }
        using FixSessionStore again = Open();
        Assert.Equal(6, again.NextSenderSeq);
        Assert.Equal(42, again.NextTargetSeq);
        Assert.Equal(2, again.StoredCount);
        Span<byte> buffer = stackalloc byte[256];
        Assert.True(again.TryGet(4, buffer, out long orig, out int typeLength, out int bodyLength));
        Assert.Equal(1004, orig);
        Assert.True(buffer[..typeLength].SequenceEqual("UR"u8));
        Assert.True(buffer.Slice(typeLength, bodyLength).SequenceEqual(Body(4)));
        Assert.False(again.TryGet(3, buffer, out _, out _, out _));
        Assert.Equal(4, again.NextStoredAtOrAfter(3));
        Assert.Equal(int.MaxValue, again.NextStoredAtOrAfter(5));
    }

    [Fact]
    public void Store_and_forward_takes_a_number_and_stores_until_the_store_closes_then_refuses_quietly()
    {
        FixSessionStore s = Open();
        Assert.Equal(1, s.TakeSenderSeq());
        Assert.True(s.TryStoreUnsent(2002, "8"u8, Body(2)));
        Assert.Equal(3, s.NextSenderSeq);
        s.Dispose();
        // An answer that arrives after shutdown closed the store: refused, nothing thrown, nothing written.
        long before = new FileInfo(Path.Combine(_dir.Path, "W-P.messages")).Length;
        Assert.False(s.TryStoreUnsent(2003, "8"u8, Body(3)));
        Assert.Equal(before, new FileInfo(Path.Combine(_dir.Path, "W-P.messages")).Length);

        using FixSessionStore again = Open();
        Assert.Equal(3, again.NextSenderSeq);
        Span<byte> buffer = stackalloc byte[256];
        Assert.True(again.TryGet(2, buffer, out long orig, out int typeLength, out int bodyLength));
        Assert.Equal(2002, orig);
        Assert.True(buffer.Slice(typeLength, bodyLength).SequenceEqual(Body(2)));
        Assert.Equal(int.MaxValue, again.NextStoredAtOrAfter(3));
    }

    [Fact]
    public void The_store_is_bounded_and_compacts_to_the_newest_messages()
    {
        using (FixSessionStore s = Open(capacity: 8))
        {
            for (int seq = 1; seq <= 100; seq++) s.Append(seq, seq, "UR"u8, Body(seq));
            Assert.Equal(8, s.StoredCount);
            Assert.Equal(93, s.NextStoredAtOrAfter(1));
        }
        long length = new FileInfo(Path.Combine(_dir.Path, "W-P.messages")).Length;
        Assert.True(length < 16 * 64, $"compacted file is small ({length} bytes)");
        using FixSessionStore again = Open(capacity: 8);
        Assert.Equal(93, again.NextStoredAtOrAfter(1));
        Span<byte> buffer = stackalloc byte[256];
        Assert.True(again.TryGet(100, buffer, out _, out _, out _));
    }

    [Fact]
    public void A_torn_tail_record_is_cut_and_the_rest_kept()
    {
        using (FixSessionStore s = Open())
        {
            s.Append(1, 1, "UR"u8, Body(1));
            s.Append(2, 2, "UR"u8, Body(2));
        }
        string path = Path.Combine(_dir.Path, "W-P.messages");
        long full = new FileInfo(path).Length;
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(full - 3);
        using FixSessionStore again = Open();
        Assert.Equal(1, again.StoredCount);
        again.Append(2, 2, "UR"u8, Body(2));
        Assert.Equal(2, again.StoredCount);
    }

    [Fact]
    public void A_corrupt_seqnums_file_falls_back_to_one_and_reset_empties_the_store()
    {
        using (FixSessionStore s = Open())
        {
            s.TakeSenderSeq();
            s.Append(1, 1, "UR"u8, Body(1));
            s.Reset();
            Assert.Equal(1, s.NextSenderSeq);
            Assert.Equal(0, s.StoredCount);
            s.TakeSenderSeq();
        }
        string seqPath = Path.Combine(_dir.Path, "W-P.seqnums");
        byte[] bytes = File.ReadAllBytes(seqPath);
        bytes[0] ^= 0xFF;
        File.WriteAllBytes(seqPath, bytes);
        using FixSessionStore again = Open();
        Assert.Equal(1, again.NextSenderSeq); // checksum mismatch: not trusted
    }
}
