namespace Wallet.Client;

/// <summary>
/// The one-writer rule of a connection, as an explicit state word (<see cref="WriterState"/>) owned by compare-and-swap.
/// Invariant: at most one party writes to the socket at any time, and a frame is always written whole before another
/// starts — either by one owner in one or more sends, or by a direct send whose unsent tail is handed to the send loop,
/// which writes it before anything else. Transitions:
/// <list type="bullet">
/// <item>Idle → Direct: a caller, under the client lock, only when nothing is queued and a slot is free (so order is kept).</item>
/// <item>Idle → SendLoop: the send loop, before it gathers (under the client lock) or writes a heartbeat / Logout.</item>
/// <item>Direct → DirectLoopWaiting: the send loop found the writer busy and will sleep until the caller wakes it.</item>
/// <item>Direct / DirectLoopWaiting → Idle: the caller after a whole send (it wakes the loop if it was waiting).</item>
/// <item>Direct / DirectLoopWaiting → HandedOver: the caller after a partial send; it always wakes the loop.</item>
/// <item>HandedOver → SendLoop: the send loop, which then writes the remainder first.</item>
/// <item>SendLoop → Idle: the send loop after its write (never after Logout: nothing may follow it).</item>
/// </list>
/// </summary>
internal sealed class ConnectionWriter
{
    private int _state;
    private int _remainderOffset;
    private int _remainderLength;

    /// <param name="directFrameBytes">Size of the one preallocated frame a direct send encodes into.</param>
    public ConnectionWriter(int directFrameBytes)
    {
        DirectFrame = GC.AllocateUninitializedArray<byte>(directFrameBytes);
    }

    /// <summary>Where a direct send encodes its frame; used only by the owner of the writer (Direct, or HandedOver for the tail).</summary>
    public byte[] DirectFrame { get; }

    public WriterState State => (WriterState)Volatile.Read(ref _state);

    /// <summary>A caller, under the client lock: take the writer for one direct send.</summary>
    public bool TryTakeForDirect() =>
        Interlocked.CompareExchange(ref _state, (int)WriterState.Direct, (int)WriterState.Idle) == (int)WriterState.Idle;

    /// <summary>
    /// The send loop: take an idle writer. When a direct send holds it, records that the loop waits, so that the caller
    /// wakes it; false then (and for a handed-over remainder, which the loop takes with <see cref="TryTakeHandedOver"/>).
    /// </summary>
    public bool TryTakeForLoop()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            switch ((WriterState)state)
            {
                case WriterState.Idle:
                    if (Interlocked.CompareExchange(ref _state, (int)WriterState.SendLoop, state) == state)
                    {
                        return true;
                    }
                    break;
                case WriterState.Direct:
                    if (Interlocked.CompareExchange(ref _state, (int)WriterState.DirectLoopWaiting, state) == state)
                    {
                        return false;
                    }
                    break;
                default:
                    return false;
            }
        }
    }

    /// <summary>The send loop: take the writer with the unsent tail of a direct frame, which it must write first.</summary>
    public bool TryTakeHandedOver(out ReadOnlyMemory<byte> remainder)
    {
        if (Interlocked.CompareExchange(ref _state, (int)WriterState.SendLoop, (int)WriterState.HandedOver) != (int)WriterState.HandedOver)
        {
            remainder = default;
            return false;
        }
        // Written before the interlocked hand-over, read after the interlocked take: both are full fences.
        remainder = DirectFrame.AsMemory(_remainderOffset, _remainderLength);
        return true;
    }

    /// <summary>The send loop, after a write (the writer must be SendLoop).</summary>
    public void ReleaseByLoop() => Volatile.Write(ref _state, (int)WriterState.Idle);

    /// <summary>The direct sender, after a whole send or a failure: true when the send loop waits to be woken.</summary>
    public bool ReleaseDirect() =>
        Interlocked.Exchange(ref _state, (int)WriterState.Idle) == (int)WriterState.DirectLoopWaiting;

    /// <summary>The direct sender, after a partial send: bytes [<paramref name="sent"/>, <paramref name="length"/>) go to the send loop.</summary>
    public void HandOver(int sent, int length)
    {
        _remainderOffset = sent;
        _remainderLength = length - sent;
        Interlocked.Exchange(ref _state, (int)WriterState.HandedOver);
    }
}
