using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Routing;

/// <summary>How a request forwarded to another node ended (<see cref="IRequestForwarder"/>); exactly one call, any thread.</summary>
public interface IForwardCompletion
{
    /// <summary>CreateTransfers, CreateAccounts, CloseAccounts: one code per forwarded item, in the forwarded order.</summary>
    void OnResults(ReadOnlySpan<ResultCode> codes);

    /// <summary>LookupAccounts: the accounts found, in the forwarded order (missing ones absent).</summary>
    void OnFound(ReadOnlySpan<Account> found);

    /// <summary>The peer certainly did not take the items (never sent, Busy, refused): nothing applied.</summary>
    void OnNotTaken(ResultCode code);

    /// <summary>
    /// Sent, but no answer came (connection lost, timeout, the peer lost its leadership): the items may or may not
    /// apply: the client is told to resubmit them (with the same ids) as after a leader change.
    /// </summary>
    void OnOutcomeUnknown();
}
