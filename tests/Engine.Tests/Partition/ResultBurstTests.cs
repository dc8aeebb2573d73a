using Wallet.Engine.Partition;

namespace Wallet.Engine.Tests.Partition;

/// <summary>
/// <see cref="ResultBurst"/>: inside a burst a completion defers its handler's end-of-batch flush to the burst's end —
/// each handler flushed exactly once, by the outermost End, on the thread that opened it; outside, or past the handler
/// bound, nothing is deferred (the caller flushes at once, as before the burst existed).
/// </summary>
public sealed class ResultBurstTests
{
    private sealed class CountingHandler : IPartitionResultHandler
    {
        public int Flushes;
        public void OnResult(ref ResultSlot result, bool endOfBatch) { }
        public void EndOfBatch() => Flushes++;
    }

    [Fact]
    public void Outside_a_burst_nothing_is_deferred()
    {
        var h = new CountingHandler();
        Assert.False(ResultBurst.IsOpen);
        Assert.False(ResultBurst.TryDefer(h));
        Assert.Equal(0, h.Flushes);
    }

    [Fact]
    public void A_burst_flushes_each_deferred_handler_once_at_its_end()
    {
        var a = new CountingHandler();
        var b = new CountingHandler();
        ResultBurst.Begin();
        Assert.True(ResultBurst.IsOpen);
        for (int i = 0; i < 100; i++)
        {
            Assert.True(ResultBurst.TryDefer(a));
            Assert.True(ResultBurst.TryDefer(b));
        }
        Assert.Equal(0, a.Flushes);
        ResultBurst.End();
        Assert.False(ResultBurst.IsOpen);
        Assert.Equal(1, a.Flushes);
        Assert.Equal(1, b.Flushes);

        // The next burst starts empty: nothing left over from the last.
        ResultBurst.Begin();
        ResultBurst.End();
        Assert.Equal(1, a.Flushes);
    }

    [Fact]
    public void Nested_bursts_flush_at_the_outermost_end()
    {
        var h = new CountingHandler();
        ResultBurst.Begin();
        ResultBurst.Begin();
        Assert.True(ResultBurst.TryDefer(h));
        ResultBurst.End();
        Assert.Equal(0, h.Flushes);
        Assert.True(ResultBurst.IsOpen);
        ResultBurst.End();
        Assert.Equal(1, h.Flushes);
    }

    [Fact]
    public void Past_the_handler_bound_a_completion_flushes_at_once()
    {
        var handlers = new CountingHandler[ResultBurst.MaxHandlers + 1];
        for (int i = 0; i < handlers.Length; i++) handlers[i] = new CountingHandler();
        ResultBurst.Begin();
        for (int i = 0; i < ResultBurst.MaxHandlers; i++) Assert.True(ResultBurst.TryDefer(handlers[i]));
        Assert.False(ResultBurst.TryDefer(handlers[^1]));
        Assert.True(ResultBurst.TryDefer(handlers[0])); // already held: still deferred
        ResultBurst.End();
        for (int i = 0; i < ResultBurst.MaxHandlers; i++) Assert.Equal(1, handlers[i].Flushes);
        Assert.Equal(0, handlers[^1].Flushes); // its caller flushed it itself
    }

    [Fact]
    public void A_burst_belongs_to_its_thread()
    {
        var h = new CountingHandler();
        ResultBurst.Begin();
        try
        {
            bool deferredElsewhere = true, openElsewhere = true;
            var other = new Thread(() => { openElsewhere = ResultBurst.IsOpen; deferredElsewhere = ResultBurst.TryDefer(h); });
            other.Start();
            Assert.True(other.Join(10_000));
            Assert.False(openElsewhere);
            Assert.False(deferredElsewhere);
        }
        finally
        {
            ResultBurst.End();
        }
        Assert.Equal(0, h.Flushes);
    }

    [Fact]
    public void End_without_begin_is_refused()
    {
        Assert.Throws<InvalidOperationException>(ResultBurst.End);
    }
}
