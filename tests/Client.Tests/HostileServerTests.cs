using System.Buffers.Binary;
using Wallet.Engine.Ledger;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;

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

    public enum BrokenControl
    {
        RejectTextPastTheFrame,
        RedirectHostPastTheFrame,
        LogoutTextPastTheFrame,
        BusyBlockTooShort,
        RedirectToPortZero,
    }

    /// <summary>
    /// Control messages whose lengths lie (the shapes the fuzz target's mutants take): the receive loop drops the
    /// connection with a <see cref="WalletProtocolException"/>, and the request, still unanswered, is resubmitted on
    /// the next connection and succeeds there.
    /// </summary>
    [Theory]
    [InlineData(BrokenControl.RejectTextPastTheFrame)]
    [InlineData(BrokenControl.RedirectHostPastTheFrame)]
    [InlineData(BrokenControl.LogoutTextPastTheFrame)]
    [InlineData(BrokenControl.BusyBlockTooShort)]
    [InlineData(BrokenControl.RedirectToPortZero)]
    public async Task Broken_control_message_resets_the_connection_and_the_request_is_resubmitted(BrokenControl broken)
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) => s.Number == 1 ? s.SendRawAsync(Broken(broken, r.CorrelationId)) : server.DefaultAnswerAsync(s, r);
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(TestKit.Transfer(71)).Bounded());
        Assert.IsType<WalletProtocolException>(client.LastConnectionError);
        Assert.True(client.ReconnectCount >= 1);
    }

    private static byte[] Broken(BrokenControl broken, ulong correlationId)
    {
        var buffer = new byte[256];
        int limit;
        switch (broken)
        {
            case BrokenControl.RejectTextPastTheFrame:
            {
                var m = RejectEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
                m.CorrelationId = correlationId;
                m.Reason = RejectReason.InvalidField;
                m.PutText("why"u8);
                limit = m.Limit;
                BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(limit - 3 - 2), 1000); // text length: 1000 > the 3 sent
                break;
            }
            case BrokenControl.RedirectHostPastTheFrame:
            case BrokenControl.RedirectToPortZero:
            {
                var m = RedirectEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
                m.CorrelationId = correlationId;
                m.LeaderPort = broken == BrokenControl.RedirectToPortZero ? (ushort)0 : (ushort)9;
                m.Term = 2;
                m.PutLeaderHost("127.0.0.1");
                limit = m.Limit;
                if (broken == BrokenControl.RedirectHostPastTheFrame)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(limit - 9 - 2), 200);
                }
                break;
            }
            case BrokenControl.LogoutTextPastTheFrame:
            {
                var m = LogoutEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
                m.PutText("bye"u8);
                limit = m.Limit;
                BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(limit - 3 - 2), 1024);
                break;
            }
            default:
            {
                var m = BusyEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
                m.CorrelationId = correlationId;
                m.RetryAfterMs = 1;
                limit = m.Limit;
                BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(Sofh.HeaderLength), 4); // root block 4 < the 12 Busy needs
                break;
            }
        }
        Sofh.Write(buffer, limit);
        return buffer.AsSpan(0, limit).ToArray();
    }
}
