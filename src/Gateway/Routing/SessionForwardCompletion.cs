using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Sessions;

namespace Wallet.Gateway.Routing;

/// <summary>
/// Delivers the answer of another node to a request forwarded there whole (a FIX session's command) as if a partition
/// had answered it: one <see cref="ResultSlot"/> to the session, results per item, found accounts, or NotLeader when the
/// outcome is unknown. The other node's log index and ledger timestamp are not carried back: the slot has log index 0
/// and the time the answer reached this gateway. One object per forwarded request (not the partition hot path).
/// </summary>
internal sealed class SessionForwardCompletion(IGatewaySession session, long correlationId, ushort kind, int count, int partition) : IForwardCompletion
{
    private int _completed;

    public void OnResults(ReadOnlySpan<ResultCode> codes)
    {
        var results = new CreateResult[count];
        for (int i = 0; i < count; i++) results[i] = new CreateResult(i, i < codes.Length ? codes[i] : ResultCode.MalformedPayload);
        Deliver(kind, results, []);
    }

    public void OnFound(ReadOnlySpan<Account> found) => Deliver(QueryKind.LookupAccounts, [], MemoryMarshal.AsBytes(found).ToArray());

    public void OnNotTaken(ResultCode code)
    {
        // A read has no per-item code to carry "not answered": it is refused like any unanswered request (ask again).
        if (kind == QueryKind.LookupAccounts)
        {
            Deliver(QueryKind.NotLeader, [], []);
            return;
        }
        var results = new CreateResult[count];
        for (int i = 0; i < count; i++) results[i] = new CreateResult(i, code);
        Deliver(kind, results, []);
    }

    public void OnOutcomeUnknown() => Deliver(QueryKind.NotLeader, [], []);

    private void Deliver(ushort answerKind, CreateResult[] results, byte[] payload)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return;
        var slot = new ResultSlot
        {
            Kind = answerKind,
            Partition = partition,
            CorrelationId = correlationId,
            SessionId = session.Id,
            Index = 0,
            Timestamp = DateTime.UtcNow.Ticks * 100 - DateTime.UnixEpoch.Ticks * 100,
            ResultCount = results.Length,
            Results = results,
            Payload = payload,
            PayloadLength = payload.Length,
        };
        session.OnResult(in slot);
    }
}
