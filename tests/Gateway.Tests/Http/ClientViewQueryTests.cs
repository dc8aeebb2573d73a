using Wallet.Client;
using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Tests.Http;

/// <summary>The client SDK's view queries (GetHistory, GetBalanceAt) against a real gateway with a read model.</summary>
public sealed class ClientViewQueryTests
{
    [Fact]
    public async Task History_pages_and_point_in_time_balances_through_the_sdk()
    {
        await using HttpFixture f = await HttpFixture.StartAsync();
        await using WalletClient client = await WalletClient.ConnectAsync(new WalletClientOptions
        {
            Port = f.Server.Endpoint.Port, ClientId = "admin", Credential = Support.GatewayFixture.AdminPassword,
        });
        Assert.All(await client.CreateAccountsAsync(new[] { new Account { Id = 100, Ledger = 1, Code = 1 }, new Account { Id = 300, Ledger = 1, Code = 1 } }),
            r => Assert.Equal(ResultCode.Ok, r.Code));
        for (int i = 1; i <= 5; i++)
        {
            Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(new Transfer { Id = (UInt128)i, DebitAccountId = 300, CreditAccountId = 100, Amount = 150 * i, Ledger = 1, Code = 1 }));
        }
        long last = f.Server.Partition.AppliedIndex;
        Assert.True(f.Projector.WaitForIndex(last, TimeSpan.FromSeconds(20)));

        // Newest first, two per page, followed by cursor to the end: creation + 5 transfers = 6 rows.
        var rows = new List<HistoryRow>();
        var query = new HistoryQuery(MaxRows: 2, NewestFirst: true);
        HistoryPage page;
        int pages = 0;
        do
        {
            page = await client.GetHistoryAsync(100, query);
            Assert.True(page.ViewIndex >= last);
            rows.AddRange(page.Rows);
            query = query with { AfterIndex = page.NextIndex, AfterOrdinal = page.NextOrdinal };
            Assert.True(++pages <= 10, "paging did not end");
        }
        while (!page.IsLast);
        Assert.Equal(6, rows.Count);
        Assert.Equal(HistoryEventKind.AccountCreated, rows[^1].Kind);
        Assert.Equal(150L * (1 + 2 + 3 + 4 + 5), rows[0].CreditsPosted);
        Assert.All(rows.Take(5), r => Assert.Equal(HistorySide.Credit, r.Side));
        Assert.Equal((UInt128)300, rows[0].CounterpartyId);

        // As of the second transfer's index: 150 + 300 credited; and before the account existed: NotExisting.
        long secondIndex = rows[^3].LogIndex;
        BalanceAt at = await client.GetBalanceAtAsync(100, atIndex: secondIndex);
        Assert.Equal(BalanceAtStatus.Found, at.Status);
        Assert.Equal(450L, at.CreditsPosted);
        Assert.Equal(secondIndex, at.ChangeIndex);
        Assert.Equal(BalanceAtStatus.NotExisting, (await client.GetBalanceAtAsync(100, atIndex: 0, atTimestampNs: 1)).Status);
        Assert.Equal(BalanceAtStatus.ViewBehind, (await client.GetBalanceAtAsync(100, atIndex: last + 1000)).Status);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.GetHistoryAsync(100, new HistoryQuery(MaxRows: 1001)));
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetBalanceAtAsync(100, 0));
    }
}
