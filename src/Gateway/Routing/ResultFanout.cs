using Wallet.Engine.Partition;
using Wallet.Gateway.Http;

namespace Wallet.Gateway.Routing;

/// <summary>
/// One partition result handler for every front end: results of HTTP-submitted commands (their reserved session id)
/// go to the HTTP <see cref="CommandChannel"/>, every other result to the SBE gateway's dispatcher.
/// </summary>
public sealed class ResultFanout(IPartitionResultHandler sbe, CommandChannel http) : IPartitionResultHandler
{
    public void OnResult(ref ResultSlot result, bool endOfBatch)
    {
        if (result.SessionId == CommandChannel.SessionId)
        {
            http.OnResult(ref result, endOfBatch);
            // The batch ends on an HTTP result: the SBE sessions this batch answered still owe their flush.
            if (endOfBatch && sbe is ResultDispatcher dispatcher) dispatcher.EndOfBatch();
        }
        else sbe.OnResult(ref result, endOfBatch);
    }

    /// <summary>A burst of results ended (<see cref="ResultBurst"/>): the SBE sessions flush what they held back (HTTP holds nothing).</summary>
    public void EndOfBatch() => sbe.EndOfBatch();
}
