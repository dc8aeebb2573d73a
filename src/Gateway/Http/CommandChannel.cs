using System.Collections.Concurrent;
using Wallet.Engine.Partition;
using Wallet.Gateway.Routing;

namespace Wallet.Gateway.Http;

/// <summary>
/// The HTTP API's path to the partitions and back: a request is offered to the ingress ring without blocking
/// (Busy when full), and its result — pushed by the partition's egress thread through the same result path as the
/// SBE sessions — completes a task the request awaits. No thread waits: the egress thread only copies the result
/// and completes the task (continuations run elsewhere).
/// </summary>
public sealed class CommandChannel : IPartitionResultHandler
{
    /// <summary>The session id every HTTP-submitted command carries; SBE session ids count up from 1 and never reach it.</summary>
    public const long SessionId = 1L << 62;

    private readonly ConcurrentDictionary<long, TaskCompletionSource<CommandOutcome>> _pending = new();
    private readonly int _maxInFlight;
    private readonly TimeSpan _timeout;
    private IRequestRouter? _router;
    private long _nextCorrelation;
    private long _lateResults;

    public CommandChannel(int maxInFlight, TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        _maxInFlight = maxInFlight;
        _timeout = timeout;
    }

    public IRequestRouter? Router
    {
        get => Volatile.Read(ref _router);
        set => Volatile.Write(ref _router, value);
    }

    public int InFlight => _pending.Count;
    /// <summary>Results that arrived after their request had timed out.</summary>
    public long LateResults => Volatile.Read(ref _lateResults);

    /// <summary>
    /// Submits one command or exact query to <paramref name="partition"/> and waits for its result. A
    /// <see cref="CommandOutcomeKind.NotLeader"/> outcome names the partition's leader as this node knows it.
    /// </summary>
    public async Task<CommandOutcome> SubmitAsync(int partition, ushort kind, ReadOnlyMemory<byte> payload, CancellationToken cancel)
    {
        CommandOutcome outcome = await SubmitToPartitionAsync(partition, kind, payload, cancel).ConfigureAwait(false);
        return outcome.Kind == CommandOutcomeKind.NotLeader && Router is { } router ? outcome with { Leader = router.LeaderOf(partition) } : outcome;
    }

    private async Task<CommandOutcome> SubmitToPartitionAsync(int partition, ushort kind, ReadOnlyMemory<byte> payload, CancellationToken cancel)
    {
        IRequestRouter? router = Router;
        if (router is null) return CommandOutcome.Failed(CommandOutcomeKind.NotRunning, SubmitStatus.NotRunning);
        if (_pending.Count >= _maxInFlight) return CommandOutcome.Failed(CommandOutcomeKind.Busy, SubmitStatus.Busy);
        GatewayMetrics.Requests.Add(1, GatewayMetrics.Http);
        long correlation = Interlocked.Increment(ref _nextCorrelation);
        long startTicks = System.Diagnostics.Stopwatch.GetTimestamp();
        var completion = new TaskCompletionSource<CommandOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[correlation] = completion;
        SubmitStatus status = router.Submit(partition, kind, correlation, SessionId, payload.Span);
        if (status == SubmitStatus.NotLeader)
        {
            _pending.TryRemove(correlation, out _);
            // Led by another node: forwarded there (docs/gateway.md, "Forwarding between nodes") when this node can.
            if (ForwardPolicy.TargetFor(router, null, kind, router.LeaderOf(partition), clientCanMove: false) is LeaderInfo node)
                return await ForwardAsync(router, node, kind, payload, cancel).ConfigureAwait(false);
            if (kind == QueryKind.LookupTransfers && ForwardPolicy.LookupTarget(router, null, partition, clientCanMove: false) is LeaderInfo leader)
                return await ForwardLookupAsync(router, leader, partition, payload, cancel).ConfigureAwait(false);
        }
        if (status != SubmitStatus.Accepted)
        {
            _pending.TryRemove(correlation, out _);
            return CommandOutcome.Failed(status switch
            {
                SubmitStatus.Busy => CommandOutcomeKind.Busy,
                SubmitStatus.NotRunning => CommandOutcomeKind.NotRunning,
                SubmitStatus.NotLeader => CommandOutcomeKind.NotLeader,
                _ => CommandOutcomeKind.Refused,
            }, status);
        }
        try
        {
            CommandOutcome outcome = await completion.Task.WaitAsync(_timeout, cancel).ConfigureAwait(false);
            GatewayMetrics.CommitLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(startTicks).TotalMilliseconds, GatewayMetrics.Http);
            return outcome;
        }
        catch (TimeoutException)
        {
            _pending.TryRemove(correlation, out _);
            return CommandOutcome.Failed(CommandOutcomeKind.TimedOut);
        }
        catch (OperationCanceledException)
        {
            _pending.TryRemove(correlation, out _);
            throw;
        }
    }

    /// <summary>
    /// A transfer across partitions, through the router's seam (<see cref="ICrossPartitionTransfers"/>): the same
    /// in-flight limit and timeout as a partition command; its completion completes the request. The caller has checked
    /// the seam is enabled.
    /// </summary>
    public async Task<CommandOutcome> SubmitCrossPartitionAsync(Wallet.Engine.Ledger.Transfer transfer, CancellationToken cancel)
    {
        CommandOutcome outcome = await SubmitToCoordinatorAsync(transfer, cancel).ConfigureAwait(false);
        return outcome.Kind == CommandOutcomeKind.NotLeader && Router is { } router ? outcome with { Leader = router.CrossPartition.Leader } : outcome;
    }

    private async Task<CommandOutcome> SubmitToCoordinatorAsync(Wallet.Engine.Ledger.Transfer transfer, CancellationToken cancel)
    {
        IRequestRouter? router = Router;
        if (router is null) return CommandOutcome.Failed(CommandOutcomeKind.NotRunning, SubmitStatus.NotRunning);
        if (_pending.Count >= _maxInFlight) return CommandOutcome.Failed(CommandOutcomeKind.Busy, SubmitStatus.Busy);
        GatewayMetrics.Requests.Add(1, GatewayMetrics.Http);
        long correlation = Interlocked.Increment(ref _nextCorrelation);
        var completion = new CrossPartitionOutcome();
        CrossPartitionSubmit status = router.CrossPartition.TrySubmit(in transfer, correlation, completion);
        switch (status)
        {
            case CrossPartitionSubmit.Accepted:
                break;
            case CrossPartitionSubmit.Busy:
                return CommandOutcome.Failed(CommandOutcomeKind.Busy, SubmitStatus.Busy);
            case CrossPartitionSubmit.NotLeader:
                if (ForwardPolicy.TargetFor(router, null, (ushort)Wallet.Engine.Ledger.CommandKind.CreateTransfers, router.CrossPartition.Leader, clientCanMove: false) is LeaderInfo node)
                {
                    byte[] one = System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<Wallet.Engine.Ledger.Transfer>(in transfer)).ToArray();
                    return await ForwardAsync(router, node, (ushort)Wallet.Engine.Ledger.CommandKind.CreateTransfers, one, cancel).ConfigureAwait(false);
                }
                return CommandOutcome.Failed(CommandOutcomeKind.NotLeader, SubmitStatus.NotLeader);
            case CrossPartitionSubmit.NotRunning:
                return CommandOutcome.Failed(CommandOutcomeKind.NotRunning, SubmitStatus.NotRunning);
            default:
                return CommandOutcome.Failed(CommandOutcomeKind.Refused, SubmitStatus.UnknownKind);
        }
        return await WithTimeoutAsync(completion.Task, cancel).ConfigureAwait(false);
    }

    /// <summary>The answer, or TimedOut after the channel's timeout (the request may or may not have applied).</summary>
    private async Task<CommandOutcome> WithTimeoutAsync(Task<CommandOutcome> answer, CancellationToken cancel)
    {
        try
        {
            return await answer.WaitAsync(_timeout, cancel).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return CommandOutcome.Failed(CommandOutcomeKind.TimedOut);
        }
    }

    /// <summary>
    /// A command whose partition (or coordinator) another node leads, sent there by the router's forwarder: its answer is
    /// this request's (log index 0, the time it came back); not taken there → Busy (nothing applied, retry); no answer →
    /// TimedOut (may or may not have applied: the same 504 as an unanswered local command).
    /// </summary>
    private async Task<CommandOutcome> ForwardAsync(IRequestRouter router, LeaderInfo node, ushort kind, ReadOnlyMemory<byte> payload, CancellationToken cancel)
    {
        var completion = new ForwardedOutcome();
        int count = payload.Length / ForwardPolicy.ItemBytes(kind);
        bool sent = router.Forwarder!.TryForward(in node, kind, payload.Span, count, completion);
        return await AwaitForwardedAsync(sent, completion, cancel).ConfigureAwait(false);
    }

    /// <summary>Busy when the forwarder took nothing; else the forwarded answer, or TimedOut after the channel's timeout.</summary>
    private async Task<CommandOutcome> AwaitForwardedAsync(bool sent, ForwardedOutcome completion, CancellationToken cancel)
    {
        if (!sent) return CommandOutcome.Failed(CommandOutcomeKind.Busy, SubmitStatus.Busy);
        GatewayMetrics.ForwardedRequests.Add(1);
        return await WithTimeoutAsync(completion.Task, cancel).ConfigureAwait(false);
    }

    /// <summary>One partition's transfer lookup asked of its leader (PeerLookupTransfers); no answer → TimedOut (a read: ask again).</summary>
    private async Task<CommandOutcome> ForwardLookupAsync(IRequestRouter router, LeaderInfo node, int partition, ReadOnlyMemory<byte> ids, CancellationToken cancel)
    {
        var completion = new ForwardedOutcome();
        bool sent = router.Forwarder!.TryForwardTransferLookup(in node, partition, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, UInt128>(ids.Span), completion);
        return await AwaitForwardedAsync(sent, completion, cancel).ConfigureAwait(false);
    }

    private sealed class ForwardedOutcome : IForwardCompletion, ITransferLookupCompletion
    {
        private readonly TaskCompletionSource<CommandOutcome> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<CommandOutcome> Task => _done.Task;

        private static long NowNs => Wallet.Engine.Partition.SystemClock.Instance.UtcNowNs();

        public void OnResults(ReadOnlySpan<Wallet.Engine.Ledger.ResultCode> codes, long logIndex, long timestampNs)
        {
            var results = new Wallet.Engine.Ledger.CreateResult[codes.Length];
            for (int i = 0; i < codes.Length; i++) results[i] = new Wallet.Engine.Ledger.CreateResult(i, codes[i]);
            _done.TrySetResult(new CommandOutcome(CommandOutcomeKind.Answered, logIndex, timestampNs, results, []));
        }

        // Reads: the leader's log index; no ledger timestamp comes back with a read, so the time the answer arrived.
        public void OnFound(ReadOnlySpan<Wallet.Engine.Ledger.Account> found, long logIndex) =>
            _done.TrySetResult(new CommandOutcome(CommandOutcomeKind.Answered, logIndex, NowNs, [], System.Runtime.InteropServices.MemoryMarshal.AsBytes(found).ToArray()));

        public void OnNotTaken(Wallet.Engine.Ledger.ResultCode code) => _done.TrySetResult(CommandOutcome.Failed(CommandOutcomeKind.Busy, SubmitStatus.Busy));

        public void OnOutcomeUnknown() => _done.TrySetResult(CommandOutcome.Failed(CommandOutcomeKind.TimedOut));

        public void OnFound(ReadOnlySpan<Wallet.Engine.Ledger.Transfer> found, long logIndex) =>
            _done.TrySetResult(new CommandOutcome(CommandOutcomeKind.Answered, logIndex, NowNs, [], System.Runtime.InteropServices.MemoryMarshal.AsBytes(found).ToArray()));

        public void OnUnanswered() => _done.TrySetResult(CommandOutcome.Failed(CommandOutcomeKind.TimedOut));
    }

    /// <summary>Turns a cross-partition outcome into the HTTP API's command outcome (one item, no log index).</summary>
    private sealed class CrossPartitionOutcome : ICrossPartitionCompletion
    {
        private readonly TaskCompletionSource<CommandOutcome> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<CommandOutcome> Task => _done.Task;

        public object? SeamAdapter { get; set; }

        public void OnCompleted(long correlationId, Wallet.Engine.Ledger.ResultCode code, long timestampNs) =>
            _done.TrySetResult(new CommandOutcome(CommandOutcomeKind.Answered, 0, timestampNs, [new Wallet.Engine.Ledger.CreateResult(0, code)], []));

        public void OnNotLeader(long correlationId) => _done.TrySetResult(CommandOutcome.Failed(CommandOutcomeKind.NotLeader, SubmitStatus.NotLeader));
    }

    /// <summary>Egress thread: copy the result (the slot is reused) and complete its request.</summary>
    public void OnResult(ref ResultSlot result, bool endOfBatch)
    {
        if (!_pending.TryRemove(result.CorrelationId, out TaskCompletionSource<CommandOutcome>? completion))
        {
            Interlocked.Increment(ref _lateResults);
            return;
        }
        if (result.Kind == QueryKind.NotLeader)
        {
            completion.TrySetResult(CommandOutcome.Failed(CommandOutcomeKind.NotLeader, SubmitStatus.NotLeader));
            return;
        }
        completion.TrySetResult(new CommandOutcome(CommandOutcomeKind.Answered, result.Index, result.Timestamp,
            result.ResultSpan.ToArray(), result.PayloadSpan.ToArray()));
    }
}
