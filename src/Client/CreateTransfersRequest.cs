using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>
/// A batch of transfers. Items a multi-partition gateway answers <see cref="ResultCode.PartitionUnavailable"/> (their
/// partition's ring was full when the gateway split the message: nothing was applied for them) are sent again, alone
/// and in their order, after a short pause — up to <see cref="MaxUnavailableResends"/> times and never past the
/// request's deadline — and the caller gets one result array with every item's real outcome. Only if the partition
/// stays unavailable that long does the caller see <c>PartitionUnavailable</c> (resubmittable, as documented).
/// </summary>
internal sealed class CreateTransfersRequest(ReadOnlyMemory<Transfer> transfers, int timeoutMs)
    : PendingRequest<CreateResult[]>(RequestKind.CreateTransfers, transfers.Length,
        FrameCodec.BatchFrameBytes(transfers.Length, FrameCodec.TransferEntryBytes), timeoutMs)
{
    /// <summary>Rounds of re-sending the unavailable items of one batch (each after <see cref="WalletClient.UnavailableRetryDelayMs"/>).</summary>
    internal const int MaxUnavailableResends = 20;

    private CreateResult[]? _results;  // every item's outcome so far, once the first answer came
    private int[]? _resendPositions;   // the items the next send carries (positions in the batch), or null: all of them
    private Transfer[]? _resendItems;  // those items, in order
    private int _resendCount;
    private int _resends;

    /// <summary>Set by <see cref="Complete"/> when some items must be sent again; the receive loop requeues the request.</summary>
    public bool NeedsResend { get; set; }

    /// <summary>Rounds of re-sending done (for tests).</summary>
    internal int Resends => _resends;

    public override int Encode(Span<byte> frame, ulong correlationId) =>
        FrameCodec.CreateTransfers(frame, correlationId, _resendPositions is null ? transfers.Span : _resendItems.AsSpan(0, _resendCount));

    public override void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk)
    {
        if (templateId != CreateResultsDecoder.TemplateId)
        {
            throw Unexpected(templateId, Kind);
        }
        ReadOnlySpan<Transfer> all = transfers.Span;
        int sent = _resendPositions is null ? all.Length : _resendCount;
        CreateResult[] answer = CreateResultsReader.Read(sbe, sent, out long logIndex, out long timestampNs);
        AnswerLogIndex = logIndex;
        AnswerTimestampNs = timestampNs;
        CreateResult[] results = _results ??= answer; // the first answer covers every item, in place
        int unavailable = 0;
        for (int j = 0; j < sent; j++)
        {
            int i = _resendPositions is null ? j : _resendPositions[j];
            ResultCode code = answer[j].Code;
            if (resubmittedExistsAsOk) code = CreateResultsReader.MapResubmitted(code, (all[i].Flags & TransferFlags.Linked) != 0, ResultCode.Exists);
            results[i] = new CreateResult(i, code);
            if (code == ResultCode.PartitionUnavailable) unavailable++;
        }

        if (unavailable == 0 || _resends >= MaxUnavailableResends || System.Diagnostics.Stopwatch.GetTimestamp() >= DeadlineTimestamp)
        {
            Succeed(results);
            return;
        }

        // Nothing was applied for these: send them again (same ids, same order: a linked chain, which never spans
        // partitions, stays whole and in order). Rare: the buffers are allocated here.
        var positions = new int[unavailable];
        var items = new Transfer[unavailable];
        int n = 0;
        for (int i = 0; i < results.Length; i++)
        {
            if (results[i].Code != ResultCode.PartitionUnavailable) continue;
            positions[n] = i;
            items[n] = all[i];
            n++;
        }
        _resendPositions = positions;
        _resendItems = items;
        _resendCount = n;
        _resends++;
        NeedsResend = true;
    }
}
