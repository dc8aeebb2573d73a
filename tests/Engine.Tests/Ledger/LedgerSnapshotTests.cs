using System.Buffers.Binary;
using Wallet.Engine.Ledger;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.Ledger;

public sealed class LedgerSnapshotTests
{
    private static LedgerHarness Busy()
    {
        var h = Standard(retentionCount: 3);
        h.CreateTransfers(Tx(10, 1, 4, 100), Tx(20, 4, 2, 30, flags: TransferFlags.Pending, timeoutSeconds: 5), Tx(21, 1, 2, 7, flags: TransferFlags.Pending));
        h.CreateTransfers(Tx(11, 1, 2, 1), Tx(12, 1, 2, 1), Tx(13, 1, 2, 1), Post(22, 21, amount: 3));
        h.Tick(1); // 20 is evicted from the window but still pending
        Assert.True(h.Machine.TryGetTransfer(20, out _, out var state));
        Assert.Equal(TransferState.Pending, state);
        Assert.Equal([ResultCode.Ok], h.Close(6));
        return h;
    }

    private static byte[] Bytes(LedgerStateMachine m)
    {
        using var s = new MemoryStream();
        m.WriteState(s);
        return s.ToArray();
    }

    [Fact]
    public void Restore_reproduces_bytes_digest_and_future_including_evicted_holds()
    {
        var a = Busy();
        var bytes = Bytes(a.Machine);
        var b = new LedgerHarness(LedgerStateMachine.Restore(a.Machine.Options, new MemoryStream(bytes)));
        Assert.Equal(bytes, Bytes(b.Machine));
        Assert.Equal(a.Machine.ComputeDigest(), b.Machine.ComputeDigest());
        Assert.Equal(a.Machine.LastIndex, b.Machine.LastIndex);
        Assert.Equal(a.Machine.PendingTransferCount, b.Machine.PendingTransferCount);
        foreach (var h in new[] { a, b })
        {
            h.Tick(6 * LedgerHarness.Second); // 20 expires in both
            Assert.Equal(0, h.Get(4).DebitsPending);
            Assert.Equal(ResultCode.PendingTransferNotFound, h.Transfer1(Void(23, 20))); // evicted + resolved: forgotten
        }

        Assert.Equal(a.Events.Where(e => e.StartsWith("expired", StringComparison.Ordinal)), b.Events);
        Assert.Equal(a.Machine.ComputeDigest(), b.Machine.ComputeDigest());
    }

    [Fact]
    public void Image_is_detached_from_the_live_machine()
    {
        var h = Busy();
        var image = h.Machine.CaptureImage();
        var digest = image.ComputeDigest();
        Assert.Equal(h.Machine.ComputeDigest(), digest);
        h.Transfer1(Tx(30, 1, 2, 5));
        Assert.Equal(digest, image.ComputeDigest());
        Assert.NotEqual(digest, h.Machine.ComputeDigest());
    }

    [Fact]
    public void A_capture_into_a_written_images_buffers_reuses_them_and_gives_the_same_bytes_as_a_fresh_one()
    {
        var h = Busy();
        var first = h.Machine.CaptureImage(reuse: null);
        Assert.Equal(h.Machine.ComputeDigest(), first.ComputeDigest());

        // A few more items still fit the first image's buffers (headroom): the same arrays, rewritten.
        h.Transfer1(Tx(31, 1, 2, 5));
        var reused = h.Machine.CaptureImage(reuse: first);
        Assert.Same(first.TransferBuffer, reused.TransferBuffer);
        Assert.Same(first.AccountBuffer, reused.AccountBuffer);
        var fresh = h.Machine.CaptureImage(reuse: null);
        Assert.NotSame(fresh.TransferBuffer, reused.TransferBuffer);
        Assert.Equal(h.Machine.ComputeDigest(), reused.ComputeDigest());
        Assert.Equal(ImageBytes(fresh), ImageBytes(reused));
        var restored = LedgerStateMachine.Restore(h.Machine.Options, new MemoryStream(ImageBytes(reused)));
        Assert.Equal(h.Machine.ComputeDigest(), restored.ComputeDigest());

        // More items than the buffers hold: new, larger buffers; the old image is left untouched.
        var small = new LedgerStateImage(0, 0, 0, 0, new Account[1], 0, new StoredTransfer[1], 0, 0);
        var grown = h.Machine.CaptureImage(reuse: small);
        Assert.NotSame(small.TransferBuffer, grown.TransferBuffer);
        Assert.Equal(ImageBytes(fresh), ImageBytes(grown));
    }

    private static byte[] ImageBytes(LedgerStateImage image)
    {
        using var s = new MemoryStream();
        image.WriteTo(s);
        return s.ToArray();
    }

    [Fact]
    public void Truncated_input_is_invalid_data()
    {
        var bytes = Bytes(Busy().Machine);
        foreach (var length in new[] { 0, 10, 64, 64 + 100, bytes.Length - 1 })
        {
            Assert.Throws<InvalidDataException>(() => LedgerStateMachine.Restore(Options(), new MemoryStream(bytes[..length])));
        }
    }

    [Theory]
    [InlineData(0, "magic")]
    [InlineData(4, "version")]
    [InlineData(40, "account count beyond capacity")]
    [InlineData(52, "reserved header")]
    [InlineData(64 + 128 + 40, "account 2 debits posted: breaks double entry")]
    [InlineData(64 + 128 + 0, "account 2 id equals account 1")]
    [InlineData(64 + (7 * 128) + 137, "window transfer marked evicted")]
    [InlineData(64 + (7 * 128) + 136, "transfer state out of range")]
    public void Corrupted_input_is_invalid_data(int offset, string what)
    {
        var h = Busy();
        var bytes = Bytes(h.Machine);
        switch (offset)
        {
            case 40: BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(40), 1_000_000); break;
            case 64 + 128 + 0: bytes.AsSpan(64, 16).CopyTo(bytes.AsSpan(64 + 128)); break;
            case 64 + (7 * 128) + 136: bytes[offset] = 9; break;
            default: bytes[offset] ^= 1; break;
        }

        var e = Assert.Throws<InvalidDataException>(() => LedgerStateMachine.Restore(Options(), new MemoryStream(bytes)));
        Assert.False(string.IsNullOrEmpty(e.Message), what);
    }
}
