using System.Diagnostics;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Perf.Harness;
using Wallet.Saga;

namespace Wallet.Perf.Scenarios.Saga;

/// <summary>
/// Counts completions and records latency from each transfer's intended send time (open loop: no coordinated omission)
/// or its actual send time (closed loop). Fed by both paths: the coordinator's completions (cross-partition) and the
/// partitions' results for the harness's own session (same-partition). Intended times live in a ring by correlation.
/// </summary>
internal sealed class SagaBenchTracker : ISagaCompletion, IPartitionResultHandler, IDisposable
{
    private const int RingMask = (1 << 20) - 1;
    private readonly long[] _sentTicks = new long[RingMask + 1];
    private long _completed;
    private long _failed;
    // Failures by result code (codes are small enumerations; 0..1023 covers every ResultCode).
    private readonly long[] _failedByCode = new long[1024];
    private long _inFlight;
    // The sender blocks here while the window is full (it never spins: on 2 cores a spinning sender takes the core the
    // transfers it waits for need). Completions set it once in-flight falls to the resume mark the sender published.
    private readonly ManualResetEventSlim _room = new(false, spinCount: 0);
    private long _resumeAt = -1;

    public LatencyRecorder? Latency { get; set; }

    public long Completed => Interlocked.Read(ref _completed);

    public long Failed => Interlocked.Read(ref _failed);

    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>"Code: count" for every code that failed a transfer so far (empty when none did).</summary>
    public string FailuresByCode()
    {
        var text = new System.Text.StringBuilder();
        for (var c = 0; c < _failedByCode.Length; c++)
        {
            var n = Interlocked.Read(ref _failedByCode[c]);
            if (n == 0) continue;
            if (text.Length > 0) text.Append(", ");
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{(ResultCode)c}: {n:N0}");
        }

        return text.ToString();
    }

    /// <summary>Transfers sent (written by the sending thread only).</summary>
    public long SentCount { get; private set; }

    public void Sent(long correlation, long intendedTicks)
    {
        _sentTicks[correlation & RingMask] = intendedTicks;
        Interlocked.Increment(ref _inFlight);
        SentCount++;
    }

    public void Unsent() => Interlocked.Decrement(ref _inFlight);

    /// <summary>
    /// Sender: returns once fewer than <paramref name="window"/> transfers are in flight (or at <paramref name="endTicks"/>).
    /// When the window is full it sleeps until in-flight falls to <paramref name="window"/> − <paramref name="refill"/>, so
    /// that it wakes once per refill instead of once per completion. Bounded: waits at most 1 ms at a time.
    /// </summary>
    public void WaitForRoom(long window, long refill, long endTicks)
    {
        while (InFlight >= window && Stopwatch.GetTimestamp() < endTicks)
        {
            _room.Reset();
            Volatile.Write(ref _resumeAt, Math.Max(0, window - Math.Max(1, refill)));
            // Re-check after publishing the mark: a completion that ran before it saw -1 and set nothing.
            if (InFlight > Volatile.Read(ref _resumeAt)) _room.Wait(1);
            Volatile.Write(ref _resumeAt, -1);
        }
    }

    public void OnSagaCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp) => Done(correlationId, code);

    public void OnResult(ref ResultSlot result, bool endOfBatch)
    {
        if (result.Kind != (ushort)CommandKind.CreateTransfers) return;
        // A command of k transfers was sent with correlations c .. c+k-1 (c = the command's correlation).
        foreach (var r in result.ResultSpan) Done(result.CorrelationId + r.Index, r.Code);
    }

    private void Done(long correlation, ResultCode code)
    {
        if (Latency is { } latency)
        {
            var elapsed = Stopwatch.GetTimestamp() - _sentTicks[correlation & RingMask];
            // Same-partition results arrive on N egress threads; the histogram is single-writer.
            lock (latency) latency.RecordTicks(elapsed);
        }

        if (code != ResultCode.Ok)
        {
            Interlocked.Increment(ref _failed);
            Interlocked.Increment(ref _failedByCode[(uint)code & 1023]);
        }
        Interlocked.Increment(ref _completed);
        var left = Interlocked.Decrement(ref _inFlight);
        if (left <= Volatile.Read(ref _resumeAt)) _room.Set();
    }

    public void Dispose() => _room.Dispose();
}
