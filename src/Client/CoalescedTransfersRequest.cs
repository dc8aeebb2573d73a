using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>
/// Single transfers of concurrent callers packed into one CreateTransfers message. Built only when the send
/// path has a free in-flight slot, so the batch grows by itself while the connection is saturated.
/// Each caller gets the result at its own item index.
/// </summary>
internal sealed class CoalescedTransfersRequest : IPendingRequest
{
    private readonly SingleTransfer[] _items;

    public CoalescedTransfersRequest(SingleTransfer[] items)
    {
        _items = items;
        FrameBytes = FrameCodec.BatchFrameBytes(items.Length, FrameCodec.TransferEntryBytes);
        long deadline = long.MaxValue;
        foreach (SingleTransfer s in items)
        {
            deadline = Math.Min(deadline, s.DeadlineTimestamp);
        }
        DeadlineTimestamp = deadline;
    }

    public RequestKind Kind => RequestKind.CreateTransfers;
    public int FrameBytes { get; }
    public long DeadlineTimestamp { get; }
    public ulong CorrelationId { get; set; }
    public int BusyAttempts { get; set; }
    public bool Resubmitted { get; set; }
    public int ItemCount => _items.Length;

    public bool IsFinished
    {
        get
        {
            foreach (SingleTransfer s in _items)
            {
                if (!s.Task.IsCompleted)
                {
                    return false;
                }
            }
            return true;
        }
    }

    public int Encode(Span<byte> frame, ulong correlationId) =>
        FrameCodec.CreateTransfers(frame, correlationId, _items);

    public void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk)
    {
        if (templateId != CreateResultsDecoder.TemplateId)
        {
            throw new WalletProtocolException($"answer template {templateId} does not match a CreateTransfers request");
        }
        CreateResult[] results = CreateResultsReader.Read(sbe, _items.Length);
        for (int i = 0; i < _items.Length; i++)
        {
            ResultCode code = results[i].Code;
            // Single transfers are never Linked (refused at submission), so the mapping always applies.
            _items[i].Succeed(resubmittedExistsAsOk ? CreateResultsReader.MapResubmitted(code, false, ResultCode.Exists) : code);
        }
    }

    public void Fail(Exception error)
    {
        foreach (SingleTransfer s in _items)
        {
            s.Fail(error);
        }
    }
}
