using Wallet.Engine.Ledger;
using Wallet.Gateway.Tests.Support;

namespace Wallet.Gateway.Tests;

public sealed class RestartTests
{
    [Fact]
    public async Task Every_acknowledged_transfer_survives_a_restart()
    {
        using var dir = new TempDirectory("restart");
        var acknowledged = new List<UInt128>();
        await using (GatewayFixture first = GatewayFixture.Start(dataDirectory: dir.Path))
        {
            await using RawClient admin = await first.AdminAsync();
            await admin.CreateAccountsAsync(1, 100, 101);
            for (int batch = 0; batch < 10; batch++)
            {
                var specs = new TransferSpec[20];
                for (int i = 0; i < specs.Length; i++) specs[i] = new TransferSpec((UInt128)(1000 + batch * 20 + i), 100, 101, 1 + i);
                CreateResultsView r = await admin.CreateTransfersAsync(specs);
                Assert.All(r.Results, x => Assert.Equal((uint)ResultCode.Ok, x.Code));
                foreach (TransferSpec s in specs) acknowledged.Add(s.Id);
            }
            await first.StopAsync();
        }

        await using GatewayFixture second = GatewayFixture.Start(dataDirectory: dir.Path);
        await using RawClient again = await second.AdminAsync();
        List<TransferView> found = await again.LookupTransfersAsync([.. acknowledged]);
        Assert.Equal(acknowledged, found.ConvertAll(t => t.Id));
        long total = 10 * (20 * 21 / 2);
        Assert.Equal(total, (await again.LookupAccountsAsync(100))[0].DebitsPosted);
        // Idempotency survives too: a replayed transfer is Exists.
        Assert.Equal((uint)ResultCode.Exists, (await again.CreateTransfersAsync(new TransferSpec(1000, 100, 101, 1))).Results[0].Code);
    }
}
