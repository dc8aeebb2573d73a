using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Saga.Replicated;

/// <summary>
/// Steps into partition engines of this process: each partition's commands are submitted to its ingress ring under
/// <see cref="SessionId"/>, and its egress (start the engine with <see cref="RouterFor"/>) hands the answers back by
/// correlation (the send position of the command's first step, as in <see cref="SagaCoordinator"/>).
/// </summary>
public sealed class LocalStepTransport : ISagaStepTransport
{
    private readonly PartitionEngine?[] _engines;
    private readonly Outbound[] _outbound;
    private ISagaStepAnswers? _answers;
    private long _droppedAnswers;

    /// <param name="partitions">How many partitions; give each engine with <see cref="Bind"/> once started.</param>
    /// <param name="sessionId">The session id the steps carry (distinct from every client's).</param>
    /// <param name="stepRingSize">Sent step ids remembered per partition to match answers (power of two ≥ 1024).</param>
    /// <param name="maxStepsPerSend">Steps per partition command.</param>
    public LocalStepTransport(int partitions, long sessionId = long.MinValue + 0x5A6B, int stepRingSize = 1 << 16, int maxStepsPerSend = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        if (stepRingSize < 1024 || (stepRingSize & (stepRingSize - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(stepRingSize), stepRingSize, "a power of two ≥ 1024");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStepsPerSend, 1);
        SessionId = sessionId;
        MaxStepsPerSend = maxStepsPerSend;
        _engines = new PartitionEngine?[partitions];
        _outbound = new Outbound[partitions];
        for (var p = 0; p < partitions; p++) _outbound[p] = new Outbound(stepRingSize, maxStepsPerSend, epoch: 1);
    }

    public long SessionId { get; }

    public int MaxStepsPerSend { get; }

    /// <summary>Answers that matched no step sent (overwritten ring cell, or no replica attached): their steps are resent.</summary>
    public long DroppedAnswers => Interlocked.Read(ref _droppedAnswers);

    /// <summary>The result handler to start partition <paramref name="partition"/> with: our answers here, the rest to <paramref name="inner"/>.</summary>
    public IPartitionResultHandler RouterFor(int partition, IPartitionResultHandler? inner) => new Router(this, partition, inner);

    public void Bind(int partition, PartitionEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engines[partition] = engine;
    }

    public void Attach(ISagaStepAnswers answers) => Volatile.Write(ref _answers, answers ?? throw new ArgumentNullException(nameof(answers)));

    public bool TrySend(int partition, ReadOnlySpan<Transfer> steps)
    {
        var engine = _engines[partition];
        if (engine is null || steps.Length > MaxStepsPerSend) return false;
        var o = _outbound[partition];
        foreach (ref readonly var s in steps) o.Add(in s);
        var first = o.StampNext(steps.Length);
        var status = engine.TrySubmit((ushort)CommandKind.SystemTransfers, first, SessionId, MemoryMarshal.AsBytes(steps));
        o.Consume(steps.Length);
        if (status == SubmitStatus.Busy)
        {
            o.Unstamp(steps.Length);
            return false;
        }

        return true; // accepted, or the partition is down: the replica's retry resends
    }

    public bool TryCreateClearingAccounts(int partition, ReadOnlySpan<Account> accounts)
    {
        var engine = _engines[partition];
        if (engine is null) return false;
        return engine.TrySubmit((ushort)CommandKind.SystemCreateAccounts, -1, SessionId, MemoryMarshal.AsBytes(accounts)) != SubmitStatus.Busy;
    }

    private void OnResult(int partition, ref ResultSlot result)
    {
        if (result.Kind != (ushort)CommandKind.SystemTransfers) return; // clearing accounts: Ok or Exists, nothing to do
        var answers = Volatile.Read(ref _answers);
        var o = _outbound[partition];
        foreach (var r in result.ResultSpan)
        {
            if (answers is null || !o.TryGetSent(result.CorrelationId + r.Index, out var stepId))
            {
                Interlocked.Increment(ref _droppedAnswers);
                continue;
            }

            answers.OnStepResult(stepId, r.Code);
        }
    }

    private sealed class Router(LocalStepTransport owner, int partition, IPartitionResultHandler? inner) : IPartitionResultHandler
    {
        public void OnResult(ref ResultSlot result, bool endOfBatch)
        {
            if (result.SessionId == owner.SessionId) owner.OnResult(partition, ref result);
            else inner?.OnResult(ref result, endOfBatch);
        }
    }
}
