namespace Wallet.Client.Tests;

/// <summary>The one-writer state word: who may take it from which state, and what a hand-over gives the send loop.</summary>
public sealed class ConnectionWriterTests
{
    [Fact]
    public void Only_one_party_holds_the_writer_and_a_waiting_loop_is_woken()
    {
        var writer = new ConnectionWriter(200);
        Assert.True(writer.TryTakeForDirect());
        Assert.False(writer.TryTakeForDirect());                 // a second direct sender queues instead
        Assert.False(writer.TryTakeForLoop());                   // the loop waits…
        Assert.Equal(WriterState.DirectLoopWaiting, writer.State);
        Assert.True(writer.ReleaseDirect());                     // …and the direct sender is told to wake it
        Assert.Equal(WriterState.Idle, writer.State);

        Assert.True(writer.TryTakeForLoop());
        Assert.False(writer.TryTakeForDirect());                 // the loop writes: callers queue
        Assert.False(writer.TryTakeForLoop());
        writer.ReleaseByLoop();
        Assert.True(writer.TryTakeForDirect());
        Assert.False(writer.ReleaseDirect());                    // nobody waited: no wake-up owed
    }

    [Fact]
    public void A_handed_over_tail_goes_to_the_send_loop_only()
    {
        var writer = new ConnectionWriter(170);
        for (int i = 0; i < 170; i++) writer.DirectFrame[i] = (byte)i;
        Assert.True(writer.TryTakeForDirect());
        writer.HandOver(sent: 50, length: 170);

        Assert.False(writer.TryTakeForDirect());
        Assert.False(writer.TryTakeForLoop());                   // not as a fresh writer: the tail comes first
        Assert.True(writer.TryTakeHandedOver(out ReadOnlyMemory<byte> tail));
        Assert.Equal(120, tail.Length);
        Assert.Equal(50, tail.Span[0]);
        Assert.Equal(169, tail.Span[^1]);
        Assert.Equal(WriterState.SendLoop, writer.State);
        Assert.False(writer.TryTakeHandedOver(out _));
        writer.ReleaseByLoop();
        Assert.Equal(WriterState.Idle, writer.State);
    }
}
