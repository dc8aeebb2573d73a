using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Gateway.Routing;

/// <summary>
/// Delivers a cross-partition transfer's outcome to the session that sent it, as a one-item CreateResults exactly
/// like a partition's answer: it goes through the gateway's result dispatcher, so the session's in-flight count is
/// released, a slow consumer is cut, and an outcome whose session has gone is counted as orphaned (the client re-reads
/// the transfer by id). One per session, made on its first cross-partition transfer and used for all of them (the
/// correlation id comes with each outcome): nothing is allocated per transfer.
/// </summary>
internal sealed class SessionCrossPartitionCompletion(IPartitionResultHandler results, long sessionId) : ICrossPartitionCompletion
{
    public object? SeamAdapter { get; set; }

    public void OnCompleted(long correlationId, ResultCode code, long timestampNs)
    {
        var result = new ResultSlot
        {
            Kind = (ushort)CommandKind.CreateTransfers,
            CorrelationId = correlationId,
            SessionId = sessionId,
            // No single partition's log index decides a cross-partition transfer: 0 says "not one partition's index".
            Index = 0,
            Timestamp = timestampNs,
            ResultCount = 1,
            Results = SingleResult.Of(code), // borrowed for this call: handlers copy it
            PayloadLength = 0,
            Payload = [],
        };
        // Inside a saga driver's burst the session's flush waits for the burst's end (one send for the round's answers).
        results.OnResult(ref result, endOfBatch: !ResultBurst.TryDefer(results));
    }

    public void OnNotLeader(long correlationId)
    {
        // The session's NotLeader handling: Redirect (or, with no leader known, close: reconnect and resubmit).
        var result = new ResultSlot
        {
            Kind = QueryKind.NotLeader,
            CorrelationId = correlationId,
            SessionId = sessionId,
            Results = [],
            Payload = [],
        };
        results.OnResult(ref result, endOfBatch: true);
    }
}
