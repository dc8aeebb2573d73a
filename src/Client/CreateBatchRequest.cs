using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>
/// A batch of creates (transfers or accounts) answered with one code per item. Items a multi-partition gateway answers
/// <see cref="ResultCode.PartitionUnavailable"/> (their partition's ring was full when the gateway split the message:
/// nothing was applied for them) are sent again, alone and in their order, after a short pause — up to
/// <see cref="MaxUnavailableResends"/> times and never past the request's deadline — and the caller gets one result array
/// with every item's real outcome. Only if the partition stays unavailable that long does the caller see
/// <c>PartitionUnavailable</c> (resubmittable, as documented).
/// </summary>
internal abstract class CreateBatchRequest<TItem>(RequestKind kind, ReadOnlyMemory<TItem> items, int entryBytes, int timeoutMs)
    : PendingRequest<CreateResult[]>(kind, items.Length, FrameCodec.BatchFrameBytes(items.Length, entryBytes), timeoutMs), IResendingRequest
    where TItem : struct
{
    /// <summary>Rounds of re-sending the unavailable items of one batch (each after <see cref="WalletClient.UnavailableRetryDelayMs"/>).</summary>
    internal const int MaxUnavailableResends = 20;

    private CreateResult[]? _results; // every item's outcome so far, once the first answer came
    private int[]? _resendPositions;  // the items the next send carries (positions in the batch), or null: all of them
    private TItem[]? _resendItems;    // those items, in order
    private int _resendCount;
    private int _resends;

    public bool NeedsResend { get; set; }

    /// <summary>Rounds of re-sending done (for tests).</summary>
    internal int Resends => _resends;

    /// <summary>True when the item continues a linked chain (its outcome maps like a chain member's on a resubmission).</summary>
    protected abstract bool IsLinked(in TItem item);

    protected abstract int Encode(Span<byte> frame, ulong correlationId, ReadOnlySpan<TItem> items);

    public sealed override int Encode(Span<byte> frame, ulong correlationId) =>
        Encode(frame, correlationId, _resendPositions is null ? items.Span : _resendItems.AsSpan(0, _resendCount));

    public sealed override void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk)
    {
        if (templateId != CreateResultsDecoder.TemplateId)
        {
            throw Unexpected(templateId, Kind);
        }
        ReadOnlySpan<TItem> all = items.Span;
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
            if (resubmittedExistsAsOk) code = CreateResultsReader.MapResubmitted(code, IsLinked(in all[i]), ResultCode.Exists);
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
        var again = new TItem[unavailable];
        int n = 0;
        for (int i = 0; i < results.Length; i++)
        {
            if (results[i].Code != ResultCode.PartitionUnavailable) continue;
            positions[n] = i;
            again[n] = all[i];
            n++;
        }
        _resendPositions = positions;
        _resendItems = again;
        _resendCount = n;
        _resends++;
        NeedsResend = true;
    }
}

/// <summary>A request that may ask, after an answer, to be sent again (carrying fewer items) instead of completing.</summary>
internal interface IResendingRequest
{
    /// <summary>Set by Complete when some items must be sent again; the receive loop clears it and requeues the request.</summary>
    bool NeedsResend { get; set; }
}
