using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.Ring;
using Waiter = Wallet.Saga.SagaWaiters<Wallet.Saga.ISagaCompletion>.Waiter;

namespace Wallet.Saga;

/// <summary>The driver thread's round: drain, journal, apply, send, complete, wait.</summary>
public sealed partial class SagaCoordinator
{
    private const int IdleWaitMs = 5;

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                var worked = Round();
                if (worked) continue;
                // Nothing to do: sleep until a producer wakes us or the next tick/retry is due (never a hot spin).
                _wake.Reset();
                Interlocked.Exchange(ref _idle, 1);
                if (_inbox.Cursor == _poller.Sequence.Value && !_stopping) _wake.Wait(IdleWaitMs);
                Volatile.Write(ref _idle, 0);
            }
        }
        catch (Exception e)
        {
            _failure = e;
        }
    }

    private bool Round()
    {
        // Repeats held while their saga was undecided go first: the machine now gives them the repeat's answer.
        var max = _options.Saga.MaxBatchSize;
        while (_beginCount < max && _waiters.TryTakeResubmit(out var repeat)) AddBegin(repeat);

        var handler = new DrainHandler(this);
        if (_beginCount < max) _poller.Poll(ref handler);
        var now = Math.Max(_options.Clock.UtcNowNs(), Machine.LastTimestamp);
        var worked = _beginCount > 0 || _outcomeCount > 0;
        var sink = new DriverSink(this);

        // Journal first, then apply: the machine's decisions are always reproducible from the journal.
        if (_beginCount > 0) Apply(SagaCommandKind.Begin, _beginBuffer.AsSpan(0, _beginCount * SagaCommands.BeginSizeBytes), now, ref sink);
        if (_outcomeCount > 0) Apply(SagaCommandKind.StepOutcome, _outcomeBuffer.AsSpan(0, _outcomeCount * SagaCommands.OutcomeSizeBytes), now, ref sink);
        _beginCount = _outcomeCount = 0;
        if (now >= _nextTickNs)
        {
            _nextTickNs = now + _options.TickIntervalNs;
            if (Machine.ActiveCount > 0)
            {
                Apply(SagaCommandKind.Tick, [], now, ref sink);
                worked = true;
            }
        }

        if (worked)
        {
            _journal.Flush();
            MaybeSnapshot();
        }

        if (now >= _nextRetryNs)
        {
            _nextRetryNs = now + _options.RetryIntervalNs;
            var resent = Machine.EmitOutstanding(now - _options.RetryIntervalNs, ref sink, _options.MaxRetriedSagasPerRound, ref _retryCursor);
            Interlocked.Add(ref _stepsResent, resent);
        }

        worked |= SendOutbound();
        worked |= FireCompletions();
        Volatile.Write(ref _openSagas, Machine.ActiveCount);
        if (worked) Interlocked.Increment(ref _rounds);
        return worked;
    }

    private void Apply(SagaCommandKind kind, ReadOnlySpan<byte> payload, long now, ref DriverSink sink)
    {
        var index = Machine.LastIndex + 1;
        _journal.Append((ushort)kind, index, 1, now, payload);
        var result = Machine.Execute(new CommandStamp(index, 1, now), kind, payload, ref sink);
        if (result != SagaCommandResult.Ok) throw new InvalidOperationException($"saga machine refused the coordinator's own {kind}: {result}");
    }

    /// <summary>
    /// Every <see cref="SagaCoordinatorOptions.SnapshotEveryCommands"/> commands, after the flush (a snapshot is never
    /// ahead of the durable journal): the table is written on this thread — its size is bounded by MaxActiveSagas +
    /// RetainedCompletedSagas rows of 208 bytes (27 MiB at the 65,536 + 65,536 defaults, ~30 ms) — then, if retention
    /// is on, journal segments the oldest kept snapshot covers are deleted. A failed write is counted and retried at
    /// the next interval; it never stops the coordinator.
    /// </summary>
    private void MaybeSnapshot()
    {
        var every = _options.SnapshotEveryCommands;
        if (every == 0 || Machine.LastIndex - _lastSnapshotIndex < every) return;
        var index = Machine.LastIndex;
        try
        {
            var digest = Machine.ComputeDigest();
            _snapshots.Write(index, 1, Machine.LastTimestamp, digest, Machine.WriteTo);
            Interlocked.Increment(ref _snapshotsWritten);
            if (_options.JournalRetention == JournalRetention.BeforeOldestSnapshot)
            {
                var files = _snapshots.ListFiles(); // newest first; retention already trimmed it to RetainCount
                var oldest = files[^1].Index;
                Interlocked.Add(ref _segmentsPruned, _journal.DeleteSegmentsBefore(oldest + 1));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Interlocked.Increment(ref _snapshotFailures);
            _lastSnapshotError = e;
        }

        // Also after a failure: try again one interval later, not at every round.
        Interlocked.Exchange(ref _lastSnapshotIndex, index);
    }

    private bool Accept(ref InboxSlot slot)
    {
        if (slot.Kind == InboxKind.Begin)
        {
            AddBegin(new Waiter(slot.Completion!, slot.CorrelationId, slot.Transfer, slot.Mode));
        }
        else if (slot.Kind == InboxKind.Outcome)
        {
            SagaCommands.WriteOutcome(_outcomeBuffer.AsSpan(_outcomeCount * SagaCommands.OutcomeSizeBytes), slot.SagaId, slot.Step, slot.Code);
            _outcomeCount++;
        }

        slot.Completion = null; // do not keep the submitter alive from the ring
        // Stop when either buffer could overflow with the next item.
        var max = _options.Saga.MaxBatchSize;
        return _beginCount < max && _outcomeCount < max;
    }

    private void AddBegin(in Waiter waiter)
    {
        var correlation = _nextCorrelation++;
        _waiters.Add(correlation, waiter);
        var transfer = waiter.Transfer;
        SagaCommands.WriteBegin(_beginBuffer.AsSpan(_beginCount * SagaCommands.BeginSizeBytes), in transfer, correlation, waiter.Mode);
        _beginCount++;
    }

    private bool SendOutbound()
    {
        var sent = false;
        for (var p = 0; p < _outbound.Length; p++)
        {
            var o = _outbound[p];
            while (o.Count > 0)
            {
                var n = Math.Min(o.Count, _options.MaxStepsPerCommand);
                n = Math.Min(n, _partitions[p].MaxCommandBytes / Transfer.SizeBytes);
                var first = o.StampNext(n);
                var status = _partitions[p].TrySubmit((ushort)CommandKind.SystemTransfers, first, SessionId, MemoryMarshal.AsBytes(o.Pending(n)));
                if (status == SubmitStatus.Busy)
                {
                    o.Unstamp(n);
                    break; // keep them; the next round tries again
                }

                // Accepted, or the partition is down (then the retry resends once it is back).
                o.Consume(n);
                Interlocked.Increment(ref _stepCommands);
                Interlocked.Add(ref _stepsSent, n);
                sent = true;
            }
        }

        return sent;
    }

    /// <summary>The round's decided answers, in one burst.</summary>
    private bool FireCompletions() => _waiters.Fire() > 0;

    private void OnStepRequest(int partition, in Transfer step)
    {
        if (_options.SendFilter is { } filter && SagaCommands.TryParseStepId(step.Id, out _, out var s) && !filter(s)) return;
        _outbound[partition].Add(in step);
    }

    private void OnCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp) =>
        _waiters.OnDecided(correlationId, sagaId, code, timestamp);

    private readonly struct DriverSink(SagaCoordinator owner) : ISagaSink
    {
        public void OnStepRequest(int partition, in Transfer step) => owner.OnStepRequest(partition, in step);

        public void OnCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp) => owner.OnCompleted(correlationId, sagaId, code, timestamp);
    }

    private readonly struct DrainHandler(SagaCoordinator owner) : IPollHandler<InboxSlot>
    {
        public bool OnEvent(ref InboxSlot data, long sequence, bool endOfBatch) => owner.Accept(ref data);
    }
}
