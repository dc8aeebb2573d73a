using System.Text;
using Wallet.Fix.Tests.Support;

namespace Wallet.Fix.Tests;

/// <summary>
/// Untrusted input: every malformed or refused message is answered as FIX prescribes (ignored when garbled, Reject
/// for a malformed message, BusinessMessageReject for a refused request, Logout for a refused logon), nothing is
/// applied, and the gateway stays up for the next message and the next session.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("fix-bad");
    private FixFixture _f = null!;

    public async Task InitializeAsync()
    {
        _f = await FixFixture.StartAsync(_dir.Path);
        // Accounts 1 (bank) and 1001/1002 (customers, no overdraft), 1001 funded with 50.00.
        await using RawFixClient c = await _f.LogonAsync();
        foreach ((string id, int flags) in new[] { ("1", 0), ("1001", 2), ("1002", 2) })
        {
            c.Send("UA", $"5020={id}|15=USD|5021={flags}|");
            Assert.Equal("0", (await c.ReceiveTypeAsync("UB"))[5010]);
        }
        c.Send("UT", "5001=1|5002=1|5003=1001|5004=50.00|15=USD|");
        Assert.Equal("0", (await c.ReceiveTypeAsync("UR"))[5010]);
        c.Send("5", "");
        await c.ReceiveTypeAsync("5");
    }

    public async Task DisposeAsync()
    {
        await _f.DisposeAsync();
        _dir.Dispose();
    }

    private static async Task<string> BalanceAsync(RawFixClient c, string account)
    {
        c.Send("UQ", $"5030=q-{account}|5020={account}|");
        FixReply r = await c.ReceiveTypeAsync("UP");
        return r[5035];
    }

    private async Task AssertNothingMovedAsync(RawFixClient c)
    {
        Assert.Equal("50.00", await BalanceAsync(c, "1001"));
        Assert.Equal("0.00", await BalanceAsync(c, "1002"));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_wrong_checksum_is_ignored_and_the_next_message_reveals_the_gap()
    {
        await using RawFixClient c = await _f.LogonAsync();
        int seq = c.NextSeq++;
        c.SendRaw(RawFixClient.Build("UT", c.SenderCompId, c.TargetCompId, seq, "5001=90|5002=1001|5003=1002|5004=1.00|15=USD|", checksumDelta: 1));
        await c.AssertSilentAsync();
        c.Send("1", "112=x|");
        FixReply resend = await c.ReceiveTypeAsync("2");
        Assert.Equal(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), resend[7]);
        c.SendRaw(RawFixClient.Build("4", c.SenderCompId, c.TargetCompId, seq, $"123=Y|36={c.NextSeq}|", extraHeader: "43=Y|122=20260101-00:00:00.000|"));
        await AssertNothingMovedAsync(c);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(-3)]
    [InlineData(5)]
    public async Task A_wrong_body_length_is_ignored_and_the_session_recovers(int delta)
    {
        await using RawFixClient c = await _f.LogonAsync();
        int seq = c.NextSeq++;
        c.SendRaw(RawFixClient.Build("UT", c.SenderCompId, c.TargetCompId, seq, "5001=91|5002=1001|5003=1002|5004=1.00|15=USD|", bodyLengthDelta: delta));
        c.Send("1", "112=y|");
        FixReply resend = await c.ReceiveTypeAsync("2");
        Assert.Equal(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), resend[7]);
        c.SendRaw(RawFixClient.Build("4", c.SenderCompId, c.TargetCompId, seq, $"123=Y|36={c.NextSeq}|", extraHeader: "43=Y|122=20260101-00:00:00.000|"));
        await AssertNothingMovedAsync(c);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_oversized_message_is_dropped_without_stopping_the_session()
    {
        await using RawFixClient c = await _f.LogonAsync();
        int seq = c.NextSeq++;
        c.SendRaw(RawFixClient.Build("UT", c.SenderCompId, c.TargetCompId, seq, "58=" + new string('x', 5000) + "|5001=92|5002=1001|5003=1002|5004=1.00|15=USD|"));
        c.Send("1", "112=z|");
        Assert.Equal(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), (await c.ReceiveTypeAsync("2"))[7]);
        c.SendRaw(RawFixClient.Build("4", c.SenderCompId, c.TargetCompId, seq, $"123=Y|36={c.NextSeq}|", extraHeader: "43=Y|122=20260101-00:00:00.000|"));
        await AssertNothingMovedAsync(c);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("5002=1001|5003=1002|5004=1.00|15=USD|", "5001")]
    [InlineData("5001=93|5003=1002|5004=1.00|15=USD|", "5002")]
    [InlineData("5001=93|5002=1001|5004=1.00|15=USD|", "5003")]
    [InlineData("5001=93|5002=1001|5003=1002|15=USD|", "5004")]
    [InlineData("5001=93|5002=1001|5003=1002|5004=1.00|", "15")]
    public async Task A_missing_required_tag_is_rejected_naming_it(string body, string tag)
    {
        await using RawFixClient c = await _f.LogonAsync();
        int seq = c.Send("UT", body);
        FixReply r = await c.ReceiveTypeAsync("3");
        Assert.Equal("1", r[373]);
        Assert.Equal(tag, r[371]);
        Assert.Equal(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), r[45]);
        Assert.Equal("UT", r[372]);
        await AssertNothingMovedAsync(c);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("1.234", "more decimals")]
    [InlineData("1e3", "exponent")]
    [InlineData("-5.00", "negative")]
    [InlineData("+5", "leading '+'")]
    [InlineData("abc", "not a number")]
    [InlineData("01.00", "leading zero")]
    [InlineData("99999999999999999999", "too large")]
    [InlineData("NaN", "not a number")]
    [InlineData("1,000.00", "not a plain decimal")]
    public async Task A_bad_amount_is_refused_with_a_BusinessMessageReject_and_nothing_moves(string amount, string why)
    {
        await using RawFixClient c = await _f.LogonAsync();
        int seq = c.Send("UT", $"5001=94|5002=1001|5003=1002|5004={amount}|15=USD|");
        FixReply r = await c.ReceiveTypeAsync("j");
        Assert.Equal("0", r[380]);
        Assert.Equal("94", r[379]);
        Assert.Equal(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), r[45]);
        Assert.Contains(why, r[58], StringComparison.Ordinal);
        await AssertNothingMovedAsync(c);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_empty_value_is_a_session_Reject()
    {
        await using RawFixClient c = await _f.LogonAsync();
        c.Send("UT", "5001=95|5002=1001|5003=1002|5004=|15=USD|");
        FixReply r = await c.ReceiveTypeAsync("3");
        Assert.Equal("4", r[373]);
        Assert.Equal("5004", r[371]);
        await AssertNothingMovedAsync(c);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_repeated_tag_is_a_session_Reject_and_nothing_moves()
    {
        await using RawFixClient c = await _f.LogonAsync();
        c.Send("UT", "5001=96|5002=1001|5003=1002|5004=1.00|5004=40.00|15=USD|");
        FixReply r = await c.ReceiveTypeAsync("3");
        Assert.Equal("13", r[373]);
        Assert.Equal("5004", r[371]);
        await AssertNothingMovedAsync(c);
    }

    [Fact(Timeout = 30_000)]
    public async Task Malformed_ids_and_unknown_currencies_are_refused()
    {
        await using RawFixClient c = await _f.LogonAsync();
        c.Send("UT", "5001=9x|5002=1001|5003=1002|5004=1.00|15=USD|");
        FixReply r = await c.ReceiveTypeAsync("3");
        Assert.Equal("6", r[373]);
        Assert.Equal("5001", r[371]);
        c.Send("UT", "5001=96|5002=1001|5003=1002|5004=1.00|15=XXX|");
        Assert.Contains("Currency", (await c.ReceiveTypeAsync("j"))[58], StringComparison.Ordinal);
        c.Send("UT", "5001=0|5002=1001|5003=1002|5004=1.00|15=USD|");
        Assert.Equal("5", (await c.ReceiveTypeAsync("3"))[373]);
        await AssertNothingMovedAsync(c);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_unknown_MsgType_gets_a_BusinessMessageReject_unsupported_message_type()
    {
        await using RawFixClient c = await _f.LogonAsync();
        c.Send("UZ", "5001=97|");
        FixReply r = await c.ReceiveTypeAsync("j");
        Assert.Equal("3", r[380]);
        Assert.Equal("UZ", r[372]);
        c.Send("D", "11=order|55=X|54=1|38=1|40=1|");
        Assert.Equal("3", (await c.ReceiveTypeAsync("j"))[380]);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_transfer_the_partner_may_not_debit_is_refused_not_authorised()
    {
        await using RawFixClient c = await _f.LogonAsync(sender: FixFixture.ClientCompId);
        c.Send("UT", "5001=98|5002=1|5003=1002|5004=1.00|15=USD|");
        FixReply r = await c.ReceiveTypeAsync("j");
        Assert.Equal("6", r[380]);
        c.Send("UA", "5020=2000|15=USD|");
        Assert.Equal("6", (await c.ReceiveTypeAsync("j"))[380]);
        await AssertNothingMovedAsync(c);
    }

    [Fact(Timeout = 30_000)]
    public async Task Ledger_refusals_come_back_as_the_report_outcome()
    {
        await using RawFixClient c = await _f.LogonAsync();
        c.Send("UT", "5001=99|5002=1001|5003=1002|5004=50.01|15=USD|");
        FixReply r = await c.ReceiveTypeAsync("UR");
        Assert.Equal("241", r[5010]);
        Assert.Equal("ExceedsCredits", r[58]);
        c.Send("UT", "5001=100|5002=1001|5003=4242|5004=1.00|15=USD|");
        Assert.Equal("213", (await c.ReceiveTypeAsync("UR"))[5010]);
        c.Send("UQ", "5030=nope|5020=4242|");
        Assert.Equal("300", (await c.ReceiveTypeAsync("UP"))[5010]);
        await AssertNothingMovedAsync(c);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_wrong_password_is_refused_with_a_Logout_and_the_gateway_stays_up()
    {
        await using (RawFixClient c = await _f.ConnectAsync())
        {
            c.Send("A", "98=0|108=30|553=partner1|554=wrong|");
            FixReply r = await c.ReceiveAsync();
            Assert.Equal("5", r.MsgType);
            Assert.Contains("Password", r[58], StringComparison.Ordinal);
            Assert.True(await c.ClosedAsync());
        }
        await using (RawFixClient c = await _f.ConnectAsync())
        {
            // A valid username of another partner does not open this partner's session.
            c.Send("A", "98=0|108=30|553=client2|554=partner-secret|");
            Assert.Equal("5", (await c.ReceiveAsync()).MsgType);
        }
        await using RawFixClient ok = await _f.LogonAsync();
        await AssertNothingMovedAsync(ok);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_unknown_CompID_is_refused_with_a_Logout()
    {
        await using RawFixClient c = await _f.ConnectAsync();
        c.SenderCompId = "STRANGER";
        c.Send("A", "98=0|108=30|553=partner1|554=partner-secret|");
        FixReply r = await c.ReceiveAsync();
        Assert.Equal("5", r.MsgType);
        Assert.Contains("unknown SenderCompID/TargetCompID", r[58], StringComparison.Ordinal);
        Assert.Equal("STRANGER", r[56]);
        Assert.True(await c.ClosedAsync());
    }

    [Fact(Timeout = 30_000)]
    public async Task A_first_message_that_is_not_a_Logon_drops_the_connection()
    {
        await using RawFixClient c = await _f.ConnectAsync();
        c.Send("UT", "5001=101|5002=1001|5003=1002|5004=1.00|15=USD|");
        Assert.True(await c.ClosedAsync());
        await using RawFixClient ok = await _f.LogonAsync();
        await AssertNothingMovedAsync(ok);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_wrong_CompID_after_logon_is_rejected_and_ends_the_session()
    {
        await using RawFixClient c = await _f.LogonAsync();
        c.SenderCompId = "SOMEONE";
        c.Send("1", "112=x|");
        FixReply r = await c.ReceiveTypeAsync("3");
        Assert.Equal("9", r[373]);
        Assert.Equal("5", (await c.ReceiveTypeAsync("5")).MsgType);
    }

    [Fact(Timeout = 30_000)]
    public async Task Garbage_bytes_between_messages_are_skipped()
    {
        await using RawFixClient c = await _f.LogonAsync();
        c.SendRaw(Encoding.ASCII.GetBytes("garbage\u0001\u0001==8=FIY|junk"));
        int seq = c.Send("1", "112=after-junk|");
        Assert.Equal("after-junk", (await c.ReceiveTypeAsync("0"))[112]);
        Assert.True(seq > 0);
    }
    [Fact(Timeout = 30_000)]
    public async Task A_burst_of_transfers_is_batched_but_answered_one_report_per_request_in_order()
    {
        await using RawFixClient c = await _f.LogonAsync();
        // One write: the gateway reads them in one go and submits them as one ledger command.
        var burst = new List<byte>();
        foreach (string body in new[]
        {
            "5001=201|5002=1001|5003=1002|5004=10.00|15=USD|",
            "5001=202|5002=1001|5003=1002|5004=45.00|15=USD|",
            "5001=203|5002=1001|5003=1002|5004=5.00|15=USD|",
            "5001=201|5002=1001|5003=1002|5004=10.00|15=USD|",
            "5001=204|5002=1001|5003=1002|5004=1.001|15=USD|",
        })
        {
            burst.AddRange(RawFixClient.Build("UT", c.SenderCompId, c.TargetCompId, c.NextSeq++, body));
        }
        c.SendRaw([.. burst]);
        var answers = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            FixReply r = await c.ReceiveAsync();
            if (r.MsgType == "0") { i--; continue; }
            answers.Add(r.MsgType == "UR" ? $"{r[5001]}:{r[5010]}" : $"{r.MsgType}:{r[379]}");
        }
        // The bad amount is refused at once, on the receive path; the reports follow in request order.
        Assert.Contains("j:204", answers);
        answers.Remove("j:204");
        Assert.Equal(["201:0", "202:241", "203:0", "201:12"], answers);
        Assert.Equal("35.00", await BalanceAsync(c, "1001"));
        Assert.Equal("15.00", await BalanceAsync(c, "1002"));
    }
}
