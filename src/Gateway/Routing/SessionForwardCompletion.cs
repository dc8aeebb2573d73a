using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Sessions;

namespace Wallet.Gateway.Routing;

/// <summary>
/// Delivers the answer of another node to a request forwarded there whole (a FIX session's command) as if a partition
/// had answered it: one <see cref="ResultSlot"/> to the session, results per item, found accounts, or NotLeader when the
/// outcome is unknown. The slot carries the other node's receipt: the log index and ledger timestamp of the command that
/// answered (a read: the log index it was read at, and the time the answer reached this gateway, as no ledger timestamp
/// comes back with it). One object per forwarded request (not the partition hot path).
/// </summary>
internal sealed class SessionForwardCompletion(IGatewaySession session, long correlationId, ushort kind, int count, int partition) : IForwardCompletion
{
    private int _completed;

    public void OnResults(ReadOnlySpan<ResultCode> codes, long logIndex, long timestampNs)
    {
        var results = new CreateResult[count];
        for (int i = 0; i < count; i++) results[i] = new CreateResult(i, i < codes.Length ? codes[i] : ResultCode.MalformedPayload);
        Deliver(kind, results, [], logIndex, timestampNs);
    }

    public void OnFound(ReadOnlySpan<Account> found, long logIndex) =>
        Deliver(QueryKind.LookupAccounts, [], MemoryMarshal.AsBytes(found).ToArray(), logIndex, NowNs);

    private static long NowNs => SystemClock.Instance.UtcNowNs();

    public void OnNotTaken(ResultCode code)
    {
        // A read has no per-item code to carry "not answered": it is refused like any unanswered request (ask again).
        if (kind == QueryKind.LookupAccounts)
        {
            Deliver(QueryKind.NotLeader, [], [], 0, NowNs);
            return;
        }
        var results = new CreateResult[count];
        for (int i = 0; i < count; i++) results[i] = new CreateResult(i, code);
        Deliver(kind, results, [], 0, NowNs);
    }

    public void OnOutcomeUnknown() => Deliver(QueryKind.NotLeader, [], [], 0, NowNs);

    private void Deliver(ushort answerKind, CreateResult[] results, byte[] payload, long logIndex, long timestampNs)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return;
        var slot = new ResultSlot
        {
            Kind = answerKind,
            Partition = partition,
            CorrelationId = correlationId,
            SessionId = session.Id,
            Index = logIndex,
            Timestamp = timestampNs,
            ResultCount = results.Length,
            Results = results,
            Payload = payload,
            PayloadLength = payload.Length,
        };
        session.OnResult(in slot);
    }
}
