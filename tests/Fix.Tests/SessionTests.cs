using System.Net.Sockets;
using Wallet.Fix.Tests.Support;

namespace Wallet.Fix.Tests;

/// <summary>The FIX session protocol as a counterparty sees it, driven byte by byte by a test client.</summary>
public sealed class SessionTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("fix-session");
    private FixFixture _f = null!;

    public async Task InitializeAsync() => _f = await FixFixture.StartAsync(_dir.Path);

    public async Task DisposeAsync()
    {
        await _f.DisposeAsync();
        _dir.Dispose();
    }

    [Fact(Timeout = 30_000)]
    public async Task Logon_is_answered_with_Logon_echoing_HeartBtInt_and_reset()
    {
        await using RawFixClient c = await _f.ConnectAsync();
        c.Send("A", "98=0|108=7|141=Y|553=partner1|554=partner-secret|");
        FixReply r = await c.ReceiveAsync();
        Assert.Equal("A", r.MsgType);
        Assert.Equal("7", r[108]);
        Assert.Equal("Y", r[141]);
        Assert.Equal(1, r.Seq);
        Assert.Equal(FixFixture.OurCompId, r[49]);
        Assert.Equal(FixFixture.PartnerCompId, r[56]);
    }

    [Fact(Timeout = 30_000)]
    public async Task TestRequest_is_answered_by_a_Heartbeat_carrying_its_TestReqID()
    {
        await using RawFixClient c = await _f.LogonAsync();
        c.Send("1", "112=probe-42|");
        FixReply r = await c.ReceiveTypeAsync("0");
        Assert.Equal("probe-42", r[112]);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_gap_is_answered_by_a_ResendRequest_and_filled_by_a_GapFill()
    {
        await using RawFixClient c = await _f.LogonAsync();
        c.NextSeq = 5; // skip 2..4
        c.Send("1", "112=after-gap|");
        FixReply resend = await c.ReceiveTypeAsync("2");
        Assert.Equal("2", resend[7]);
        Assert.Equal("0", resend[16]);
        // The out-of-order TestRequest was not processed: it comes again in the resend.
        c.SendRaw(RawFixClient.Build("4", c.SenderCompId, c.TargetCompId, 2, "123=Y|36=5|", extraHeader: "43=Y|122=20260101-00:00:00.000|"));
        c.SendRaw(RawFixClient.Build("1", c.SenderCompId, c.TargetCompId, 5, "112=after-gap|", extraHeader: "43=Y|122=20260101-00:00:00.000|"));
        c.NextSeq = 6;
        FixReply hb = await c.ReceiveTypeAsync("0");
        Assert.Equal("after-gap", hb[112]);
        Assert.Equal(6, _f.Fix.SequenceNumbers(_f.Partner).NextTargetSeq);
    }

    [Fact(Timeout = 30_000)]
    public async Task MsgSeqNum_too_low_without_PossDupFlag_ends_the_session_with_a_reason()
    {
        await using RawFixClient c = await _f.LogonAsync();
        c.Send("0", "");
        c.NextSeq = 2;
        c.Send("0", "");
        FixReply logout = await c.ReceiveTypeAsync("5");
        Assert.Contains("MsgSeqNum too low, expecting 3 but received 2", logout[58], StringComparison.Ordinal);
        Assert.True(await c.ClosedAsync());
    }

    [Fact(Timeout = 30_000)]
    public async Task A_PossDup_repeat_of_a_processed_message_is_ignored()
    {
        await using RawFixClient c = await _f.LogonAsync();
        int seq = c.Send("1", "112=once|");
        Assert.Equal("once", (await c.ReceiveTypeAsync("0"))[112]);
        c.SendRaw(RawFixClient.Build("1", c.SenderCompId, c.TargetCompId, seq, "112=once|", extraHeader: "43=Y|122=20260101-00:00:00.000|"));
        await c.AssertSilentAsync();
        c.Send("1", "112=still-alive|");
        Assert.Equal("still-alive", (await c.ReceiveTypeAsync("0"))[112]);
    }

    [Fact(Timeout = 30_000)]
    public async Task ResendRequest_resends_application_messages_with_PossDupFlag_and_gap_fills_admin_ones()
    {
        await using RawFixClient c = await _f.LogonAsync();
        c.Send("UA", "5020=500|15=USD|");
        FixReply report = await c.ReceiveTypeAsync("UB");
        int reportSeq = report.Seq;
        Assert.Equal(2, reportSeq); // 1 was the Logon
        c.Send("2", "7=1|16=0|");
        FixReply gap = await c.ReceiveAsync();
        Assert.Equal("4", gap.MsgType);
        Assert.Equal("Y", gap[123]);
        Assert.Equal(1, gap.Seq);
        Assert.Equal("2", gap[36]);
        FixReply again = await c.ReceiveAsync();
        Assert.Equal("UB", again.MsgType);
        Assert.Equal(2, again.Seq);
        Assert.Equal("Y", again[43]);
        Assert.True(again.Has(122));
        Assert.Equal("500", again[5020]);
    }

    [Fact(Timeout = 30_000)]
    public async Task Logout_is_acknowledged_with_a_Logout_and_the_numbers_persist_for_the_next_logon()
    {
        RawFixClient c = await _f.LogonAsync();
        c.Send("5", "");
        Assert.Equal("5", (await c.ReceiveTypeAsync("5")).MsgType);
        Assert.True(await c.ClosedAsync());
        await c.DisposeAsync();
        (int nextOut, int nextIn) = _f.Fix.SequenceNumbers(_f.Partner);
        Assert.Equal(3, nextOut);
        Assert.Equal(3, nextIn);

        (RawFixClient again, FixReply logon) = await _f.SendLogonAsync(3, "98=0|108=30|553=partner1|554=partner-secret|");
        await using var _ = again;
        Assert.Equal("A", logon.MsgType);
        Assert.Equal(3, logon.Seq);
        Assert.False(logon.Has(141));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_logon_ahead_of_the_expected_number_is_accepted_and_followed_by_a_ResendRequest()
    {
        RawFixClient c = await _f.LogonAsync();
        c.Send("5", "");
        try
        {
            await c.ReceiveTypeAsync("5");
        }
        catch (Exception e) when (e is SocketException or EndOfStreamException)
        {
            // Setup only: the Logout was sent and the session ends either way; what this test checks is the next logon.
            // (Seen once in CI as "Connection reset by peer": the close linger, counted from the close, expired before
            // the fsync-gated Logout answer was out. The linger now starts at the FIN — CloseLinger — and the sibling
            // test above asserts the answer strictly.)
        }
        await c.DisposeAsync();
        (RawFixClient again, FixReply logon) = await _f.SendLogonAsync(10, "98=0|108=30|553=partner1|554=partner-secret|");
        await using var _ = again;
        Assert.Equal("A", logon.MsgType);
        FixReply resend = await again.ReceiveTypeAsync("2");
        Assert.Equal("3", resend[7]);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_second_session_for_the_same_partner_is_refused()
    {
        await using RawFixClient first = await _f.LogonAsync();
        await using RawFixClient second = await _f.ConnectAsync();
        second.Send("A", "98=0|108=30|553=partner1|554=partner-secret|");
        FixReply r = await second.ReceiveAsync();
        Assert.Equal("5", r.MsgType);
        Assert.Contains("already has a session", r[58], StringComparison.Ordinal);
        first.Send("1", "112=first-still-up|");
        Assert.Equal("first-still-up", (await first.ReceiveTypeAsync("0"))[112]);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_silent_partner_gets_a_TestRequest_then_a_Logout()
    {
        await using RawFixClient c = await _f.LogonAsync(heartBtInt: 1);
        FixReply probe = await c.ReceiveTypeAsync("1", 5000);
        Assert.True(probe.Has(112));
        FixReply logout = await c.ReceiveTypeAsync("5", 5000);
        Assert.Contains("heartbeat timeout", logout[58], StringComparison.Ordinal);
    }
}

/// <summary>Store-and-forward: a report whose session dropped before it came is delivered by resend after the next logon.</summary>
public sealed class StoreAndForwardTests
{
    [Fact(Timeout = 30_000)]
    public async Task A_report_for_a_dropped_session_is_persisted_and_resent_after_the_next_logon()
    {
        using var dir = new TempDirectory("fix-forward");
        await using FixFixture f = await FixFixture.StartAsync(dir.Path);
        RawFixClient c = await f.LogonAsync();
        c.Send("UA", "5020=77|15=USD|");
        await c.DisposeAsync(); // gone before (or while) the report is produced
        long until = Environment.TickCount64 + 10_000;
        while (f.Fix.SequenceNumbers(f.Partner).NextSenderSeq < 3 && Environment.TickCount64 < until) await Task.Delay(20);
        Assert.Equal(3, f.Fix.SequenceNumbers(f.Partner).NextSenderSeq); // Logon 1, report 2

        RawFixClient again;
        FixReply logon;
        for (int attempt = 0; ; attempt++)
        {
            // The dropped session may still be ending on the gateway side: retry like an engine's reconnect.
            again = await f.ConnectAsync();
            again.NextSeq = 3;
            again.Send("A", "98=0|108=30|553=partner1|554=partner-secret|");
            logon = await again.ReceiveAsync();
            if (logon.MsgType == "A" || attempt == 50) break;
            await again.DisposeAsync();
            await Task.Delay(100);
        }
        await using RawFixClient owned = again;
        Assert.Equal("A", logon.MsgType);
        Assert.Equal(3, logon.Seq); // the partner sees a gap (expected 2) and asks for it
        again.Send("2", "7=2|16=0|");
        FixReply report = await again.ReceiveTypeAsync("UB");
        Assert.Equal(2, report.Seq);
        Assert.Equal("Y", report[43]);
        Assert.Equal("77", report[5020]);
        Assert.Equal("0", report[5010]);
    }
}
