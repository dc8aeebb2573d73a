using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Routing;

/// <summary>How a transfer lookup forwarded to the leader of one partition ended (<see cref="IRequestForwarder"/>); exactly one call, any thread.</summary>
public interface ITransferLookupCompletion
{
    /// <summary>The leader of that partition answered: the transfers of it among the ids, in request order, read at <paramref name="logIndex"/>.</summary>
    void OnFound(ReadOnlySpan<Transfer> found, long logIndex);

    /// <summary>No answer that is known to cover that partition (unreachable, refused, timed out): the read must be asked again.</summary>
    void OnUnanswered();
}
