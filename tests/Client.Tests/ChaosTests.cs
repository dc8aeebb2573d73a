using Wallet.Engine.Ledger;

namespace Wallet.Client.Tests;

public sealed class ChaosTests
{
    [Fact]
    public async Task Every_call_completes_ok_through_repeated_drops_and_each_id_is_applied_once()
    {
        await using var server = new FakeServer { MaxInFlight = 4 };
        int seen = 0;
        int applications = 0;
        server.OnRequest = (s, r) =>
        {
            int n = Interlocked.Increment(ref seen);
            if (n % 7 == 0)
            {
                // Applied, then the connection dies before the answer: the worst case for exactly-once.
                Interlocked.Add(ref applications, server.Apply(r).Count(x => x.Item2 == ResultCode.Ok));
                s.Abort();
                return Task.CompletedTask;
            }
            if (n % 5 == 0)
            {
                return s.SendBusyAsync(r.CorrelationId, 1);
            }
            List<(uint, ResultCode)> results = server.Apply(r);
            Interlocked.Add(ref applications, results.Count(x => x.Item2 == ResultCode.Ok));
            return s.SendCreateResultsAsync(r.CorrelationId, results);
        };
        var options = TestKit.Options(server.Port);
        options.ReconnectAttempts = 10;
        options.BusyRetryLimit = 20;
        await using var client = await WalletClient.ConnectAsync(options).Bounded();

        var singles = Enumerable.Range(1, 300).Select(i => client.CreateTransferAsync(TestKit.Transfer((UInt128)i))).ToArray();
        var batches = Enumerable.Range(0, 20)
            .Select(b => client.CreateTransfersAsync(Enumerable.Range(0, 10).Select(i => TestKit.Transfer((UInt128)(1000 + b * 10 + i))).ToArray()))
            .ToArray();

        ResultCode[] singleCodes = await Task.WhenAll(singles).WaitAsync(TestKit.Bound);
        CreateResult[][] batchResults = await Task.WhenAll(batches).WaitAsync(TestKit.Bound);

        Assert.All(singleCodes, c => Assert.Equal(ResultCode.Ok, c));
        Assert.All(batchResults.SelectMany(r => r), r => Assert.Equal(ResultCode.Ok, r.Code));
        Assert.Equal(500, server.Transfers.Count);
        Assert.Equal(500, applications);
        Assert.True(client.ReconnectCount >= 1);
    }
}
