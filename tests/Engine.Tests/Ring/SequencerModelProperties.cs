using FsCheck.Xunit;
using Wallet.Engine.Ring;

namespace Wallet.Engine.Tests.Ring;

/// <summary>
/// Random interleavings of non-blocking claims and consumer progress against a two-counter model
/// (produced, consumed): a claim succeeds exactly when it fits, returns the model's sequence, and the remaining
/// capacity always equals size - (produced - consumed).
/// </summary>
public sealed class SequencerModelProperties
{
    private const int Size = 8;

    [Property(MaxTest = 300)]
    public bool TryNext_and_capacity_follow_the_model(byte[] steps, bool multiProducer)
    {
        RingBuffer<TestEvent> ring = multiProducer
            ? RingBuffer<TestEvent>.CreateMultiProducer(Size, new BlockingWaitStrategy())
            : RingBuffer<TestEvent>.CreateSingleProducer(Size, new BlockingWaitStrategy());
        Sequence consumer = new();
        ring.AddGatingSequences(consumer);
        long produced = -1;
        long consumed = -1;

        foreach (byte step in steps ?? [])
        {
            int amount = 1 + ((step >> 1) % Size);
            if ((step & 1) == 0)
            {
                bool fits = produced + amount - consumed <= Size;
                bool claimed = ring.TryNext(amount, out long hi);
                if (claimed != fits || (claimed && hi != produced + amount))
                {
                    return false;
                }
                if (claimed)
                {
                    ring.Publish(hi - amount + 1, hi);
                    produced = hi;
                }
            }
            else
            {
                consumed = Math.Min(produced, consumed + amount);
                consumer.SetValue(consumed);
            }
            if (ring.RemainingCapacity() != Size - (produced - consumed) || ring.Cursor != produced)
            {
                return false;
            }
        }
        return true;
    }
}
