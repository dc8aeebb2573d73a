using Wallet.Engine.Ledger;

namespace Wallet.Client.Tests;

/// <summary>
/// Answers a buggy or hostile gateway (or a man in the middle) could send that the client fuzz target
/// (fuzz/Wallet.Fuzz client, docs/FUZZING.md) found the SDK handing to callers: each must fail the call with a
/// <see cref="WalletProtocolException"/> and reset the connection, within a bounded wait.
/// </summary>
public sealed class HostileServerTests
{
    [Fact]
    public async Task Lookup_answer_with_an_account_not_asked_for_fails_precisely_and_resets_the_connection()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) => s.Number == 1
            ? s.SendAccountsFoundAsync(r.CorrelationId, [new Account { Id = 999, Ledger = 1, Code = 1, CreditsPosted = 1_000_000 }])
            : server.DefaultAnswerAsync(s, r);
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        var e = await Assert.ThrowsAsync<WalletProtocolException>(() => client.LookupAccountsAsync(new UInt128[] { 1, 2 }).Bounded());
        Assert.Contains("999", e.Message, StringComparison.Ordinal);
        await TestKit.Eventually(() => client.ReconnectCount >= 1, "connection reset after the bad answer");
        Assert.IsType<WalletProtocolException>(client.LastConnectionError);
    }

    [Fact]
    public async Task Lookup_answer_out_of_request_order_fails_precisely()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) => s.Number == 1
            ? s.SendTransfersFoundAsync(r.CorrelationId, [TestKit.Transfer(2), TestKit.Transfer(1)])
            : server.DefaultAnswerAsync(s, r);
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        var e = await Assert.ThrowsAsync<WalletProtocolException>(() => client.LookupTransfersAsync(new UInt128[] { 1, 2 }).Bounded());
        Assert.Contains("order", e.Message, StringComparison.Ordinal);
        await TestKit.Eventually(() => client.ReconnectCount >= 1, "connection reset after the bad answer");
    }

    [Fact]
    public async Task Lookup_answer_with_a_subset_in_request_order_is_accepted()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) => s.SendAccountsFoundAsync(r.CorrelationId, [new Account { Id = 1, Ledger = 1, Code = 1 }, new Account { Id = 3, Ledger = 1, Code = 1 }]);
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        Account[] found = await client.LookupAccountsAsync(new UInt128[] { 1, 2, 3 }).Bounded();
        Assert.Equal([(UInt128)1, 3], found.Select(a => a.Id));
        Assert.Equal(0, client.ReconnectCount);
    }
}
