using System.Collections.Concurrent;
using System.Diagnostics;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>
/// The e2e workload against a baseline database, with the e2e method: a closed loop where every connection runs
/// transfers back to back (max throughput), then an open loop per offered rate where a pacer thread issues transfers
/// on a fixed schedule and each latency is taken from the transfer's <em>intended</em> send time to its answer, so the
/// time a transfer waited for a free connection counts (coordinated omission corrected). One load thread per
/// connection; a connection runs one transaction at a time, as a database connection does.
/// </summary>
internal sealed class BaselineLoad
{
    /// <summary>Minor units per transfer, as in e2e.</summary>
    public const long AmountMinor = 1;

    /// <summary>Every account starts with this balance, so the balance check runs and passes.</summary>
    public const long InitialBalanceMinor = 1_000_000_000_000;

    /// <summary>After the schedule ends, transfers still queued get at most this long (or the phase length, if longer) before they are abandoned and counted.</summary>
    private const double MinDrainS = 10;

    private readonly BaselineSettings _settings;
    private readonly PerfOptions _options;
    private readonly ScenarioResult _result;
    private readonly TextWriter _log;
    private long _nextTransferId;

    public BaselineLoad(BaselineSettings settings, PerfOptions options, ScenarioResult result, TextWriter log, long firstTransferId)
    {
        _settings = settings;
        _options = options;
        _result = result;
        _log = log;
        _nextTransferId = firstTransferId - 1;
    }

    /// <summary>The highest transfer id used so far (the next mode continues after it).</summary>
    public long LastTransferId => Interlocked.Read(ref _nextTransferId);

    /// <summary>Closed loop then the open-loop rates, on <paramref name="connections"/> (one load thread each), reported under <paramref name="mode"/>.</summary>
    public void Run(string mode, IReadOnlyList<IBaselineConnection> connections)
    {
        _log.WriteLine($"[{mode}] closed loop, {connections.Count} connections: {_options.WarmupS}s warm-up + {_options.DurationS}s");
        ClosedLoop(connections, _options.WarmupS, null);
        ClosedLoop(connections, _options.DurationS, mode + " closed loop");
        foreach (int rate in _settings.Rates)
        {
            _log.WriteLine($"[{mode}] open loop at {rate:N0}/s: {_options.WarmupS}s warm-up + {_options.DurationS}s");
            if (_options.WarmupS > 0) OpenLoop(connections, rate, _options.WarmupS, null, null, null);
            var recorder = new LatencyRecorder("latency");
            string group = $"{mode} open loop {rate:N0}/s";
            var timeline = new ThroughputTimeline(group, Stopwatch.GetTimestamp(), expectedSeconds: _options.DurationS);
            OpenLoop(connections, rate, _options.DurationS, recorder, group, timeline);
            recorder.Report(_result, group);
            _result.Timelines.Add(timeline);
        }
        if (_options.SweepP99BoundUs is not null)
        {
            SweepOutcome sweep = RateSweep.Run(mode, _options, rate =>
            {
                double warmup = Math.Min(_options.WarmupS, 1);
                if (warmup > 0) OpenLoop(connections, (int)rate, warmup, null, null, null, minDrainS: 1);
                var recorder = new LatencyRecorder("latency");
                // A probe over capacity fails anyway: it need not drain for long (abandoned transfers fail it).
                OpenLoopOutcome o = OpenLoop(connections, (int)rate, RateSweep.ProbeSeconds(rate, _options.DurationS), recorder, null, null, minDrainS: 1);
                return new SweepProbe(rate, o.CompletedPerS, recorder.PercentileNs(99), o.Rejected + o.Abandoned);
            }, _log);
            RateSweep.Report(sweep, _result);
        }
    }

    private readonly record struct OpenLoopOutcome(double CompletedPerS, long Rejected, long Abandoned);

    /// <summary>A repeat of an applied transfer id must change nothing and say so: checked once per mode.</summary>
    public void CheckIdempotentRepeat(IBaselineConnection connection, string mode)
    {
        long id = Interlocked.Increment(ref _nextTransferId);
        _settings.Picker.Pick(id, out int debit, out int credit);
        TransferOutcome first = connection.Transfer(id, debit + 1, credit + 1);
        TransferOutcome repeat = connection.Transfer(id, debit + 1, credit + 1);
        if (first != TransferOutcome.Applied || repeat != TransferOutcome.Duplicate)
            throw new BaselineException($"[{mode}] idempotency check failed: first {first}, repeat {repeat}");
    }

    private void Execute(IBaselineConnection connection, ref long applied, ref long rejected)
    {
        long id = Interlocked.Increment(ref _nextTransferId);
        _settings.Picker.Pick(id, out int debit, out int credit);
        TransferOutcome outcome = connection.Transfer(id, debit + 1, credit + 1);
        if (outcome == TransferOutcome.Applied) applied++;
        else rejected++;
    }

    private void ClosedLoop(IReadOnlyList<IBaselineConnection> connections, double seconds, string? group)
    {
        long deadline = Stopwatch.GetTimestamp() + Pacing.SecondsToTicks(seconds);
        long applied = 0, rejected = 0;
        Exception? failure = null;
        long start = Stopwatch.GetTimestamp();
        RunThreads(connections, connection =>
        {
            long a = 0, r = 0;
            try
            {
                while (Stopwatch.GetTimestamp() < deadline) Execute(connection, ref a, ref r);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Interlocked.CompareExchange(ref failure, e, null);
            }
            Interlocked.Add(ref applied, a);
            Interlocked.Add(ref rejected, r);
        });
        if (failure is not null) throw new BaselineException("a transfer failed in the closed loop: " + failure.Message, failure);
        double elapsed = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start);
        if (group is null) return;
        double tps = applied / elapsed;
        _result.Add(group, "transfers/s", tps, "tx/s");
        _result.Add(group, "not applied (rejected)", rejected, "tx");
        if (_settings.CompareTps > 0 && tps > 0)
            _result.Add(group, "ratio: our engine (--compare-tps) / this", _settings.CompareTps / tps, "x");
        _log.WriteLine($"[{group}] {tps:N0} transfers/s");
    }

    private OpenLoopOutcome OpenLoop(IReadOnlyList<IBaselineConnection> connections, int rate, double seconds, LatencyRecorder? recorder, string? group, ThroughputTimeline? timeline, double minDrainS = MinDrainS)
    {
        long intervalTicks = Math.Max(1, Stopwatch.Frequency / rate);
        long count = Math.Max(1, (long)(seconds * rate));
        long start = Stopwatch.GetTimestamp();
        long drainDeadline = start + Pacing.SecondsToTicks(seconds + Math.Max(minDrainS, seconds));
        using var schedule = new BlockingCollection<long>(new ConcurrentQueue<long>());
        long applied = 0, rejected = 0, abandoned = 0;
        Exception? failure = null;
        object gate = new();
        // The pacer only stamps intended send times; a queued transfer waits for a free connection and that wait is
        // part of its latency, exactly as a request queueing in an application's connection pool.
        var pacer = new Thread(() =>
        {
            try
            {
                for (long i = 0; i < count && Volatile.Read(ref failure) is null; i++)
                {
                    long intended = start + i * intervalTicks;
                    Pacing.PaceUntil(intended);
                    schedule.Add(intended);
                }
            }
            finally
            {
                schedule.CompleteAdding();
            }
        }) { IsBackground = true, Name = "baseline pacer" };
        pacer.Start();
        RunThreads(connections, connection =>
        {
            long a = 0, r = 0, gaveUp = 0;
            try
            {
                while (!schedule.IsCompleted)
                {
                    if (!schedule.TryTake(out long intended, 100)) continue;
                    if (Stopwatch.GetTimestamp() > drainDeadline)
                    {
                        gaveUp++;
                        continue;
                    }
                    Execute(connection, ref a, ref r);
                    long now = Stopwatch.GetTimestamp();
                    timeline?.Record(now);
                    if (recorder is not null)
                    {
                        lock (gate) recorder.RecordTicks(now - intended); // from the intended send time: no coordinated omission
                    }
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Interlocked.CompareExchange(ref failure, e, null);
                while (schedule.TryTake(out _)) gaveUp++; // let the other threads finish
            }
            Interlocked.Add(ref applied, a);
            Interlocked.Add(ref rejected, r);
            Interlocked.Add(ref abandoned, gaveUp);
        });
        pacer.Join();
        if (failure is not null) throw new BaselineException($"a transfer failed in the open loop at {rate:N0}/s: " + failure.Message, failure);
        double elapsed = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start);
        var outcome = new OpenLoopOutcome(applied / elapsed, rejected, abandoned);
        if (group is null) return outcome;
        _result.Add(group, "completed rate", applied / elapsed, "tx/s");
        _result.Add(group, "not applied (rejected)", rejected, "tx");
        if (abandoned > 0)
        {
            // Not recorded in the histogram: the percentiles are then a lower bound, and the note says so.
            _result.Add(group, "abandoned (still queued at drain limit)", abandoned, "tx");
            _result.Note($"{group}: {abandoned:N0} scheduled transfers were still queued {Math.Max(minDrainS, seconds)} s after the schedule ended (offered rate above capacity); its percentiles are a lower bound");
        }
        return outcome;
    }

    private static void RunThreads(IReadOnlyList<IBaselineConnection> connections, Action<IBaselineConnection> body)
    {
        var threads = new Thread[connections.Count];
        for (int i = 0; i < threads.Length; i++)
        {
            IBaselineConnection c = connections[i];
            threads[i] = new Thread(() => body(c)) { IsBackground = true, Name = "baseline load " + i };
            threads[i].Start();
        }
        foreach (Thread t in threads) t.Join();
    }
}
