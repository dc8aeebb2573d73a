using Wallet.Engine.Ledger;

namespace Wallet.Client;

/// <summary>A batch of transfers (items answered <c>PartitionUnavailable</c> are sent again: <see cref="CreateBatchRequest{TItem}"/>).</summary>
internal sealed class CreateTransfersRequest(ReadOnlyMemory<Transfer> transfers, int timeoutMs)
    : CreateBatchRequest<Transfer>(RequestKind.CreateTransfers, transfers, FrameCodec.TransferEntryBytes, timeoutMs)
{
    protected override bool IsLinked(in Transfer item) => (item.Flags & TransferFlags.Linked) != 0;

    protected override int Encode(Span<byte> frame, ulong correlationId, ReadOnlySpan<Transfer> items) =>
        FrameCodec.CreateTransfers(frame, correlationId, items);
}
