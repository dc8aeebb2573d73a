using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>
/// Single transfers of concurrent callers packed into one CreateTransfers message. Built only when the send
/// path has a free in-flight slot, so the batch grows by itself while the connection is saturated.
/// Each caller gets the result at its own item index. Reused: the client takes one from its pool per batch and gives
/// it back once answered; its arrays only grow (to the largest batch seen), so a steady load allocates nothing.
/// </summary>
internal sealed class CoalescedTransfersRequest : IPendingRequest
{
    private const int InitialCapacity = 16;

    // The transfers are copied (not read from the calls) because a cancelled call may be reused while this batch is
    // still being encoded or resent.
    private Transfer[] _transfers = new Transfer[InitialCapacity];
    private QueuedTransfer[] _calls = new QueuedTransfer[InitialCapacity];
    private ResultCode[] _codes = new ResultCode[InitialCapacity];
    private int _count;

    /// <summary>After <see cref="Complete"/>: the calls answered PartitionUnavailable, to be sent again (rare: allocated then).</summary>
    public List<QueuedTransfer>? Unavailable { get; set; }

    public RequestKind Kind => RequestKind.CreateTransfers;
    public int FrameBytes { get; private set; }
    public long DeadlineTimestamp { get; private set; }
    public ulong CorrelationId { get; set; }
    public int BusyAttempts { get; set; }
    public bool Resubmitted { get; set; }
    public int ItemCount => _count;
    public int Count => _count;
    /// <summary>Items the arrays hold without growing.</summary>
    public int Capacity => _calls.Length;

    /// <summary>Under the client lock: empty, ready for up to <paramref name="capacity"/> items.</summary>
    public void Begin(int capacity)
    {
        if (_calls.Length < capacity)
        {
            int size = Math.Max(capacity, _calls.Length * 2);
            _transfers = new Transfer[size];
            _calls = new QueuedTransfer[size];
            _codes = new ResultCode[size];
        }
        _count = 0;
        FrameBytes = 0;
        DeadlineTimestamp = long.MaxValue;
        CorrelationId = 0;
        BusyAttempts = 0;
        Resubmitted = false;
    }

    /// <summary>Under the client lock, for a pending call (its transfer and deadline are those of this use).</summary>
    public void Add(QueuedTransfer call)
    {
        _transfers[_count] = call.Call.Transfer;
        _calls[_count] = call;
        DeadlineTimestamp = Math.Min(DeadlineTimestamp, call.Call.DeadlineTimestamp);
        _count++;
        FrameBytes = FrameCodec.BatchFrameBytes(_count, FrameCodec.TransferEntryBytes);
    }

    /// <summary>Drops the references to the calls so a pooled batch keeps no caller alive.</summary>
    public void Clear()
    {
        Array.Clear(_calls, 0, _count);
        _count = 0;
    }

    public bool IsFinished
    {
        get
        {
            for (int i = 0; i < _count; i++)
            {
                if (_calls[i].IsPending)
                {
                    return false;
                }
            }
            return true;
        }
    }

    public int Encode(Span<byte> frame, ulong correlationId) =>
        FrameCodec.CreateTransfers(frame, correlationId, _transfers.AsSpan(0, _count));

    public void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk)
    {
        if (templateId != CreateResultsDecoder.TemplateId)
        {
            throw new WalletProtocolException($"answer template {templateId} does not match a CreateTransfers request");
        }
        Span<ResultCode> codes = _codes.AsSpan(0, _count);
        CreateResultsReader.ReadCodes(sbe, codes, out long logIndex, out long timestampNs);
        for (int i = 0; i < codes.Length; i++)
        {
            // Single transfers are never Linked (refused at submission), so the mapping always applies.
            QueuedTransfer call = _calls[i];
            ResultCode code = resubmittedExistsAsOk || call.SentBefore ? CreateResultsReader.MapResubmitted(codes[i], false, ResultCode.Exists) : codes[i];
            if (code == ResultCode.PartitionUnavailable && call.IsPending)
            {
                // Not applied (its partition refused the gateway's split part): the caller did not ask for this outcome,
                // so the client sends the transfer again, in a later message (see WalletClient.RequeueUnavailable).
                (Unavailable ??= []).Add(call with { SentBefore = call.SentBefore || Resubmitted });
                continue;
            }
            call.Call.TrySucceed(call.Ticket, code, logIndex, timestampNs);
        }
    }

    public void Fail(Exception error)
    {
        for (int i = 0; i < _count; i++)
        {
            QueuedTransfer call = _calls[i];
            call.Call.TryFail(call.Ticket, error);
        }
    }
}
