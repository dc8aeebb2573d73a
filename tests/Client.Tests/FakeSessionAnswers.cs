using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client.Tests;

/// <summary>The default answer to each request kind, given the results the fake ledger computed.</summary>
internal static class FakeSessionAnswers
{
    public static Task SendCreateResultsOrFoundAsync(this FakeSession session, ReceivedRequest request,
        List<(uint, ResultCode)> results, FakeServer server) => request.TemplateId switch
    {
        LookupAccountsDecoder.TemplateId => session.SendAccountsFoundAsync(request.CorrelationId,
            request.Ids.Where(server.Accounts.ContainsKey).Select(id => server.Accounts[id]).ToList()),
        LookupTransfersDecoder.TemplateId => session.SendTransfersFoundAsync(request.CorrelationId,
            request.Ids.Where(server.Transfers.ContainsKey).Select(id => server.Transfers[id]).ToList()),
        _ => session.SendCreateResultsAsync(request.CorrelationId, results),
    };
}
