using Wallet.Engine.Ledger;
using Wallet.Engine.Ring;
using Wallet.Engine.Snapshots;

namespace Wallet.Engine.Partition;

/// <summary>
/// Decides on the BLP thread when to snapshot, and hands the work to a dedicated writer thread.
/// The BLP pays only for <see cref="LedgerStateMachine.BeginCapture"/> (a copy of the window's slot order, 4 B per
/// stored transfer) and, while the writer copies the state, one small chunk copy the first time it changes a chunk
/// not yet copied (<see cref="LedgerCapture"/>: copy-on-write) — instead of a full copy of its arrays (≈ 280 MB and
/// tens of ms with 1M accounts and a full window). The copy, digest, file write and sync all run off-thread, so the
/// BLP keeps applying commands while they happen. The digest is computed from the image on the writer thread too. At most one snapshot is in flight: if the writer is still busy at
/// a due point, the BLP tries again at its next batch end (nothing queues without bound).
/// </summary>
internal sealed class SnapshotScheduler : IDisposable
{
    private readonly SnapshotStore _store;
    private readonly long _intervalCommands;
    private readonly Thread _writer;
    private readonly object _gate = new();
    private long _nextDueIndex;
    private int _requested;
    private Pending? _pending;
    // The last capture written, handed back by the writer thread: its buffers are reused by the next capture.
    private LedgerCapture? _spare;
    private bool _disposed;
    private long _lastWrittenIndex = -1;
    private Exception? _lastError;

    private sealed record Pending(LedgerCapture Capture);

    private readonly RetentionSignal? _retention;

    public SnapshotScheduler(SnapshotStore store, long intervalCommands, long currentIndex, RetentionSignal? retention = null, long lastWrittenIndex = -1)
    {
        _lastWrittenIndex = lastWrittenIndex;
        _store = store;
        _retention = retention;
        _intervalCommands = intervalCommands;
        _nextDueIndex = intervalCommands > 0 ? currentIndex + intervalCommands : long.MaxValue;
        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "snapshot-writer" };
        _writer.Start();
    }

    /// <summary>Index of the newest snapshot written by this process, or recovered from at start (-1 if none).</summary>
    public long LastWrittenIndex => Interlocked.Read(ref _lastWrittenIndex);

    /// <summary>The last failure of the writer thread, if any (a failed snapshot never affects the ledger).</summary>
    public Exception? LastError => Volatile.Read(ref _lastError);

    /// <summary>Ask for a snapshot at the BLP's next batch end.</summary>
    public void Request() => Interlocked.Exchange(ref _requested, 1);

    /// <summary>Called by the BLP at every batch end.</summary>
    public void OnBatchApplied(LedgerStateMachine ledger)
    {
        ledger.ReleaseCompletedCapture();
        bool due = ledger.LastIndex >= _nextDueIndex || Volatile.Read(ref _requested) != 0;
        if (!due || ledger.LastIndex <= 0) return;
        lock (_gate)
        {
            if (_pending is not null || _disposed) return; // writer busy: retry next batch end
            Interlocked.Exchange(ref _requested, 0);
            _pending = new Pending(ledger.BeginCapture(Interlocked.Exchange(ref _spare, null)));
            Monitor.Pulse(_gate);
        }
        if (_intervalCommands > 0) _nextDueIndex = ledger.LastIndex + _intervalCommands;
    }

    /// <summary>
    /// Called by the BLP after it replaced its state with a snapshot installed from another replica at
    /// <paramref name="index"/>: that file is now the newest, and the next one is due an interval later.
    /// </summary>
    public void OnInstalled(long index)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref _lastWrittenIndex);
            if (index <= current) break;
        }
        while (Interlocked.CompareExchange(ref _lastWrittenIndex, index, current) != current);
        if (_intervalCommands > 0) _nextDueIndex = index + _intervalCommands;
    }

    /// <summary>Blocks until no snapshot is being written (bounded by <paramref name="timeout"/>).</summary>
    public bool WaitIdle(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_gate)
        {
            while (_pending is not null)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0) return false;
                Monitor.Wait(_gate, (int)Math.Min(left, int.MaxValue));
            }
            return true;
        }
    }

    private void WriterLoop()
    {
        BackgroundPriority.LowerCurrentThread(); // copying, hashing and writing the state must not take a core from the BLP
        while (true)
        {
            Pending work;
            lock (_gate)
            {
                while (_pending is null && !_disposed) Monitor.Wait(_gate);
                if (_pending is null) return;
                work = _pending;
            }
            try
            {
                LedgerCapture capture = work.Capture;
                // Copy what the BLP has not copied yet; from here on the capture no longer reads the live machine.
                capture.CopyAll();
                // The digest is computed from the copy here, off the BLP thread; it equals the live state's digest at that index.
                _store.Write(capture.LastIndex, capture.LastTerm, capture.LastTimestamp, capture.ComputeDigest(), capture.WriteTo);
                Interlocked.Exchange(ref _lastWrittenIndex, capture.LastIndex);
                Volatile.Write(ref _spare, capture);
                if (_retention is not null)
                {
                    IReadOnlyList<(long Index, string FilePath)> kept = _store.ListFiles();
                    // Records up to the oldest kept snapshot's index are inside every kept snapshot.
                    if (kept.Count > 0) _retention.Raise(kept[^1].Index + 1);
                }
            }
            catch (IOException ex) { Volatile.Write(ref _lastError, ex); }
            catch (UnauthorizedAccessException ex) { Volatile.Write(ref _lastError, ex); }
            lock (_gate)
            {
                _pending = null;
                Monitor.PulseAll(_gate);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        _writer.Join(TimeSpan.FromSeconds(60));
    }
}
