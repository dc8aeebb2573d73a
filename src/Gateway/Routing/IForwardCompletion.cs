using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Routing;

/// <summary>How a request forwarded to another node ended (<see cref="IRequestForwarder"/>); exactly one call, any thread.</summary>
public interface IForwardCompletion
{
    /// <summary>
    /// CreateTransfers, CreateAccounts, CloseAccounts: one code per forwarded item, in the forwarded order, with the other
    /// node's receipt: the log index and ledger timestamp of the command that answered (log index 0 when that node split
    /// the items over several partitions).
    /// </summary>
    void OnResults(ReadOnlySpan<ResultCode> codes, long logIndex, long timestampNs);

    /// <summary>LookupAccounts: the accounts found, in the forwarded order (missing ones absent), and the log index they were read at.</summary>
    void OnFound(ReadOnlySpan<Account> found, long logIndex);

    /// <summary>The peer certainly did not take the items (never sent, Busy, refused): nothing applied.</summary>
    void OnNotTaken(ResultCode code);

    /// <summary>
    /// Sent, but no answer came (connection lost, timeout, the peer lost its leadership): the items may or may not
    /// apply: the client is told to resubmit them (with the same ids) as after a leader change.
    /// </summary>
    void OnOutcomeUnknown();
}
