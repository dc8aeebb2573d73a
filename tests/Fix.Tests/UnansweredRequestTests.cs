using System.Globalization;
using Wallet.Engine.Journal;
using Wallet.Fix.Tests.Support;
using Wallet.Gateway.Fix;

namespace Wallet.Fix.Tests;

/// <summary>
/// A request the gateway took from the partner but had not answered when it died must come back, not vanish: the
/// store records an incoming MsgSeqNum as processed only once every request up to it is answered
/// (<see cref="FixApplication.UnansweredFloor"/>, <see cref="FixSessionStore.TrackUnanswered"/>). On restart the
/// gateway then expects the oldest unanswered number, sees the partner ahead, asks for a resend, and the resent
/// request applies once (ids are idempotent).
/// </summary>
public sealed class UnansweredRequestTests : IDisposable
{
    private readonly TempDirectory _dir = new("fix-unanswered");

    public void Dispose() => _dir.Dispose();

    private FixSessionStore Open() => new(_dir.Path, "W-P", 64, 1200, FsyncPolicy.None);

    [Fact]
    public void The_recorded_next_incoming_number_waits_for_the_oldest_unanswered_request()
    {
        int floor = int.MaxValue;
        using (FixSessionStore s = Open())
        {
            s.TrackUnanswered(() => floor);
            s.SetNextTargetSeq(5);
            floor = 7;              // request 7 taken, not answered
            s.SetNextTargetSeq(8);  // the session goes on: 8, 9 arrive
            s.SetNextTargetSeq(10);
            Assert.Equal(10, s.NextTargetSeq); // in memory the session expects 10
        }
        using (FixSessionStore s = Open())
        {
            Assert.Equal(7, s.NextTargetSeq); // after a crash: ask the partner from 7 again
            s.TrackUnanswered(() => int.MaxValue);
            s.SetNextTargetSeq(10);
        }
        using (FixSessionStore s = Open())
        {
            Assert.Equal(10, s.NextTargetSeq); // all answered: recorded as processed
            s.TrackUnanswered(() => 0);        // nonsense from a provider is ignored, never recorded
            s.SetNextTargetSeq(11);
        }
        using (FixSessionStore s = Open()) Assert.Equal(11, s.NextTargetSeq);
    }

    [Fact]
    public void Sessions_of_one_partner_hold_the_number_back_together_until_they_stop_and_a_reset_drops_them()
    {
        Func<int> oldSession = () => 7;  // disconnected, still draining request 7
        Func<int> newSession = () => 9;  // logged on, request 9 in flight
        using (FixSessionStore s = Open())
        {
            s.TrackUnanswered(oldSession);
            s.TrackUnanswered(newSession);
            s.SetNextTargetSeq(12);
        }
        using (FixSessionStore s = Open())
        {
            Assert.Equal(7, s.NextTargetSeq); // the lowest wins
            s.TrackUnanswered(oldSession);
            s.TrackUnanswered(newSession);
            s.SetNextTargetSeq(12);
            s.StopTracking(oldSession); // drained
            s.SetNextTargetSeq(13);
        }
        using (FixSessionStore s = Open())
        {
            Assert.Equal(9, s.NextTargetSeq);
            s.TrackUnanswered(newSession);
            s.Reset(); // ResetSeqNumFlag: the old sequence's numbers must not hold the new one back
            s.SetNextTargetSeq(3);
        }
        using (FixSessionStore s = Open()) Assert.Equal(3, s.NextTargetSeq);
    }

    [Fact(Timeout = 60_000)]
    public async Task After_a_restart_the_gateway_asks_again_for_a_request_it_had_not_answered_and_applies_it_once()
    {
        int unanswered;
        await using (FixFixture a = await FixFixture.StartAsync(_dir.Path))
        {
            await using RawFixClient c = await a.LogonAsync();
            foreach ((string id, int flags) in new[] { ("1", 0), ("1001", 0) })
            {
                c.Send("UA", $"5020={id}|15=USD|5021={flags}|");
                Assert.Equal("0", (await c.ReceiveTypeAsync("UB"))[5010]);
            }
            c.Send("UT", "5001=7001|5002=1|5003=1001|5004=10.00|15=USD|");
            Assert.Equal("0", (await c.ReceiveTypeAsync("UR"))[5010]);
            // The gateway "dies" right after taking the next request: its store still has it as unanswered. (The real
            // floor is the session's; this stands in for a crash between intake and the ledger's commit.)
            unanswered = c.NextSeq;
            a.Fix.StoreOf(a.Partner).TrackUnanswered(() => unanswered);
            c.Send("UT", "5001=7002|5002=1|5003=1001|5004=2.50|15=USD|");
            FixReply first = await c.ReceiveTypeAsync("UR");
            Assert.Equal("0", first[5010]);
            c.Send("1", "112=flush|"); // one more write of the store after the answer
            await c.ReceiveTypeAsync("0");
        }

        await using FixFixture b = await FixFixture.StartAsync(_dir.Path); // restart on the same directory
        int partnerNext = unanswered + 3; // UT, TestRequest, and the Logon below
        (RawFixClient client, FixReply logon) = await b.SendLogonAsync(partnerNext, "98=0|108=30|553=partner1|554=" + FixFixture.PartnerPassword + "|");
        await using RawFixClient c2 = client;
        Assert.Equal("A", logon.MsgType);
        FixReply resend = await c2.ReceiveTypeAsync("2");
        Assert.Equal(unanswered.ToString(CultureInfo.InvariantCulture), resend[7]); // BeginSeqNo: the unanswered request
        // The partner resends it (PossDup) and gap-fills the rest; the transfer is recognised, not applied twice.
        c2.NextSeq = unanswered;
        c2.Send("UT", "5001=7002|5002=1|5003=1001|5004=2.50|15=USD|", extraHeader: "43=Y|122=20260101-00:00:00.000|");
        FixReply again = await c2.ReceiveTypeAsync("UR");
        Assert.Equal("7002", again[5001]);
        Assert.Equal("Exists", again[58]);
        c2.Send("4", $"123=Y|36={partnerNext + 1}|", extraHeader: "43=Y|122=20260101-00:00:00.000|");
        c2.NextSeq = partnerNext + 1;
        c2.Send("US", "5030=q1|5001=7002|");
        FixReply status = await c2.ReceiveTypeAsync("UR");
        Assert.Equal("1", status[5012]); // found: applied exactly once (Exists above, not a second transfer)
    }
}
