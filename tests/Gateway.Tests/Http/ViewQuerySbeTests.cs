using Wallet.Gateway.Tests.Support;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Tests.Http;

/// <summary>
/// GetHistory and GetBalanceAt over SBE: answered from the read model with its position, paged by cursor,
/// authorised like lookups, malformed requests rejected.
/// </summary>
public sealed class ViewQuerySbeTests
{
    private static byte[] GetHistory(ulong correlationId, UInt128 account, ushort maxRows, bool newestFirst, long afterIndex = 0, uint afterOrdinal = 0)
    {
        byte[] b = new byte[128];
        var e = GetHistoryEncoder.WrapAndApplyHeader(b, 0);
        e.CorrelationId = correlationId;
        Put(e.AccountId, account);
        e.MaxRows = maxRows;
        e.NewestFirst = (byte)(newestFirst ? 1 : 0);
        e.AfterIndex = afterIndex;
        e.AfterOrdinal = afterOrdinal;
        return b[..e.Limit];
    }

    private static byte[] GetBalanceAt(ulong correlationId, UInt128 account, long atIndex, long atTimestampNs = 0)
    {
        byte[] b = new byte[128];
        var e = GetBalanceAtEncoder.WrapAndApplyHeader(b, 0);
        e.CorrelationId = correlationId;
        Put(e.AccountId, account);
        e.AtIndex = atIndex;
        e.AtTimestampNs = atTimestampNs;
        return b[..e.Limit];
    }

    private static void Put(Id128Encoder e, UInt128 v)
    {
        e.Low = (ulong)v;
        e.High = (ulong)(v >> 64);
    }

    private static string Transfer(string id, string from, string to, string amount) =>
        $$"""{"from_account":"{{from}}","to_account":"{{to}}","amount":"{{amount}}","currency":"USD","transaction_id":"{{id}}"}""";

    [Fact]
    public async Task History_and_balance_at_come_from_the_view_with_its_position()
    {
        await using HttpFixture f = await HttpFixture.StartAsync();
        await f.CreateAccountAsync("100");
        await f.CreateAccountAsync("300");
        for (int i = 1; i <= 5; i++)
            Assert.True((await f.PostAsync("/v1/wallet/balance_transfer", Transfer(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "300", "100", "1.50"))).IsSuccessStatusCode);
        long last = f.Server.Partition.AppliedIndex;
        Assert.True(f.Projector.WaitForIndex(last, TimeSpan.FromSeconds(20)));

        await using RawClient admin = await f.Server.AdminAsync();
        await admin.SendMessageAsync(GetHistory(7, 100, maxRows: 4, newestFirst: true));
        Frame page1 = await admin.ExpectAsync(HistoryPageDecoder.TemplateId);
        HistoryPageDecoder d = HistoryPageDecoder.WrapWithHeader(page1.Message, 0);
        Assert.Equal(7UL, d.CorrelationId);
        Assert.Equal(last, d.ViewIndex);
        long nextIndex = d.NextIndex;
        uint nextOrdinal = d.NextOrdinal;
        var rows = d.Rows();
        var balances = new List<long>();
        while (rows.MoveNext()) balances.Add(rows.CreditsPosted);
        Assert.Equal([750L, 600L, 450L, 300L], balances); // newest first: the running balance after each credit
        Assert.NotEqual(0, nextIndex);

        await admin.SendMessageAsync(GetHistory(8, 100, maxRows: 4, newestFirst: true, nextIndex, nextOrdinal));
        HistoryPageDecoder d2 = HistoryPageDecoder.WrapWithHeader((await admin.ExpectAsync(HistoryPageDecoder.TemplateId)).Message, 0);
        var rest = new List<(ushort Kind, long Credits)>();
        var rows2 = d2.Rows();
        while (rows2.MoveNext()) rest.Add((rows2.EventKind, rows2.CreditsPosted));
        Assert.Equal([((ushort)3, 150L), ((ushort)1, 0L)], rest); // the first transfer, then AccountCreated
        Assert.Equal(0, d2.NextIndex);

        // Balance as of the third transfer's index (accounts at 1, 2; transfers at 3..7).
        await admin.SendMessageAsync(GetBalanceAt(9, 100, atIndex: 5));
        BalanceAtDecoder b = BalanceAtDecoder.WrapWithHeader((await admin.ExpectAsync(BalanceAtDecoder.TemplateId)).Message, 0);
        Assert.Equal(0, b.Status);
        Assert.Equal(450, b.CreditsPosted);
        Assert.Equal(5, b.ChangeIndex);
        await admin.SendMessageAsync(GetBalanceAt(10, 100, atIndex: last + 100));
        Assert.Equal(2, BalanceAtDecoder.WrapWithHeader((await admin.ExpectAsync(BalanceAtDecoder.TemplateId)).Message, 0).Status);
        await admin.SendMessageAsync(GetBalanceAt(11, 100, atIndex: 0, atTimestampNs: 1));
        Assert.Equal(1, BalanceAtDecoder.WrapWithHeader((await admin.ExpectAsync(BalanceAtDecoder.TemplateId)).Message, 0).Status);

        await admin.SendMessageAsync(GetHistory(12, 100, maxRows: 0, newestFirst: true));
        Assert.Equal(RejectReason.InvalidField, (await admin.ExpectAsync(RejectDecoder.TemplateId)).AsReject().Reason);

        // alice may read 100..199 only.
        await using RawClient alice = await f.Server.AliceAsync();
        await alice.SendMessageAsync(GetBalanceAt(13, 300, atIndex: 5));
        Assert.Equal(RejectReason.Unauthorized, (await alice.ExpectAsync(RejectDecoder.TemplateId)).AsReject().Reason);
        await alice.SendMessageAsync(GetBalanceAt(14, 100, atIndex: 5));
        Assert.Equal(450, BalanceAtDecoder.WrapWithHeader((await alice.ExpectAsync(BalanceAtDecoder.TemplateId)).Message, 0).CreditsPosted);
    }
}
