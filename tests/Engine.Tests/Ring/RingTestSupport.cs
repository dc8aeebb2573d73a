using Wallet.Engine.Ring;

namespace Wallet.Engine.Tests.Ring;

/// <summary>Slot type for ring tests: a value plus scratch fields that pipeline stages write.</summary>
internal struct TestEvent
{
    public long Value;
    public long A;
    public long B;
    public long C;
}

/// <summary>Limits every wait in the ring tests: a hang fails the test instead of stalling the run.</summary>
internal static class Limits
{
    public static readonly TimeSpan Join = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan ShortProbe = TimeSpan.FromMilliseconds(200);

    public static void Joined(ProcessorThread thread)
    {
        Assert.True(thread.Join(Join), $"processor thread did not finish within {Join}");
        Assert.Null(thread.Fault);
    }

    /// <summary>Waits (sleeping, not spinning) until <paramref name="condition"/> holds or the limit passes.</summary>
    public static void Eventually(Func<bool> condition, string what)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < Join, $"timed out waiting for: {what}");
            Thread.Sleep(1);
        }
    }
}

/// <summary>Class handler that records what it saw and can run a per-event action (to block, throw, or transform).</summary>
internal sealed class RecordingHandler : IEventHandler<TestEvent>
{
    private readonly Action<long, TestEvent>? _onEvent;

    public RecordingHandler(Action<long, TestEvent>? onEvent = null)
    {
        _onEvent = onEvent;
    }

    public List<long> Sequences { get; } = [];
    public List<long> Values { get; } = [];
    public List<long> BatchSizes { get; } = [];
    public List<long> Timeouts { get; } = [];
    public int EndOfBatchCount { get; private set; }
    public bool Started { get; private set; }
    public bool ShutDown { get; private set; }

    public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch)
    {
        _onEvent?.Invoke(sequence, data);
        Sequences.Add(sequence);
        Values.Add(data.Value);
        if (endOfBatch)
        {
            EndOfBatchCount++;
        }
    }

    public void OnBatchStart(long batchSize) => BatchSizes.Add(batchSize);

    public void OnStart() => Started = true;

    public void OnShutdown() => ShutDown = true;

    public void OnTimeout(long sequence)
    {
        lock (Timeouts)
        {
            Timeouts.Add(sequence);
        }
    }
}

/// <summary>Delegate-driven handler for graph stages: the delegate reads and writes the slot in place.</summary>
internal delegate void SlotAction(ref TestEvent data, long sequence);

internal sealed class StageHandler : IEventHandler<TestEvent>
{
    private readonly SlotAction _action;

    public StageHandler(SlotAction action)
    {
        _action = action;
    }

    public long Count { get; private set; }

    public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch)
    {
        _action(ref data, sequence);
        Count++;
    }

    public void OnBatchStart(long batchSize)
    {
    }

    public void OnStart()
    {
    }

    public void OnShutdown()
    {
    }

    public void OnTimeout(long sequence)
    {
    }
}

internal static class Publishing
{
    /// <summary>
    /// Publishes values first..first+count-1 into consecutive slots, one claim each. Claims with TryNext under a
    /// deadline so a test that fills the ring by mistake fails instead of blocking forever.
    /// </summary>
    public static void PublishValues(RingBuffer<TestEvent> ring, long first, int count)
    {
        for (int i = 0; i < count; i++)
        {
            long s;
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (!ring.TryNext(out s))
            {
                Assert.True(sw.Elapsed < Limits.Join, "ring stayed full: no consumer progress");
                Thread.Sleep(1);
            }
            ring[s].Value = first + i;
            ring.Publish(s);
        }
    }
}

/// <summary>
/// Runs a call on a dedicated background thread (never the thread pool, never blocking Task waits) and lets the
/// test wait for it with a limit. Captures the call's exception for assertions.
/// </summary>
internal sealed class Background<T> : IDisposable
{
    private readonly ManualResetEventSlim _done = new();
    private T? _result;
    private Exception? _exception;

    public Background(Func<T> call)
    {
        Thread thread = new(() =>
        {
            try
            {
                _result = call();
            }
#pragma warning disable CA1031 // handed to the test for assertions
            catch (Exception e)
#pragma warning restore CA1031
            {
                _exception = e;
            }
            finally
            {
                _done.Set();
            }
        }) { IsBackground = true };
        thread.Start();
    }

    public Exception? Exception => _exception;

    public T Result
    {
        get
        {
            Assert.True(_done.IsSet, "background call has not finished");
            Assert.Null(_exception);
            return _result!;
        }
    }

    public bool Finished(TimeSpan timeout) => _done.Wait(timeout);

    public void Dispose() => _done.Dispose();
}

internal static class Background
{
    public static Background<T> Run<T>(Func<T> call) => new(call);

    public static Background<bool> Run(Action call) => new(() =>
    {
        call();
        return true;
    });

    public static void Completed<T>(Background<T> call)
    {
        Assert.True(call.Finished(Limits.Join), $"background call did not finish within {Limits.Join}");
        Assert.Null(call.Exception);
    }
}
