using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Fix.Tests.Support;
using Xunit.Abstractions;

namespace Wallet.Fix.Tests;

/// <summary>
/// A real FIX engine (QuickFIX C++) against the gateway: logon with Username/Password, accounts, transfers (ok,
/// insufficient funds, duplicate), a forced sequence gap answered by ResendRequest + gap fill + PossDup resend,
/// logout, then a gateway restart and a reconnect that continues the persisted sequence numbers. The balances are
/// then checked through the SBE gateway, independently of FIX.
/// </summary>
public sealed class InteropTests(ITestOutputHelper output)
{
    [SkippableFact(Timeout = 240_000)]
    public async Task QuickFix_initiator_logs_on_moves_money_recovers_a_gap_and_reconnects_after_a_restart()
    {
        (string? exe, string reason) = await Toolchain.InitiatorAsync();
        if (exe is null)
        {
            if (Toolchain.IsCi) Assert.Fail("CI must have QuickFIX C++: " + reason);
            Skip.If(true, reason);
        }
        using var data = new TempDirectory("fix-interop");
        using var work = new TempDirectory("fix-initiator");

        await using (FixFixture first = await FixFixture.StartAsync(data.Path))
        {
            (int rc, string text) = await Toolchain.RunAsync(exe!, [first.FixEndpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), work.Path, Toolchain.Dictionary, "first"], 120_000);
            output.WriteLine(text);
            Assert.True(rc == 0, $"initiator (first) exited {rc}:\n{text}");
            Assert.Contains("OK first", text, StringComparison.Ordinal);
            Assert.Contains("ok transfer after gap = 0", text, StringComparison.Ordinal);
            // QuickFIX's own message log shows the gap recovery: our ResendRequest, its gap fill and PossDup resend.
            string log = string.Join('\n', Directory.GetFiles(Path.Combine(work.Path, "log"), "*.messages.current.log").Select(File.ReadAllText));
            Assert.Contains("\u000135=2\u0001", log, StringComparison.Ordinal);
            Assert.Contains("\u0001123=Y\u0001", log, StringComparison.Ordinal);
            Assert.Contains("\u000143=Y\u0001", log, StringComparison.Ordinal);
            (int nextOut, int nextIn) = first.Fix.SequenceNumbers(first.Partner);
            Assert.True(nextOut > 10 && nextIn > 10, $"sequence numbers advanced and persisted: out {nextOut}, in {nextIn}");
            await first.StopAsync();
        }

        // Gateway restart on the same data directory: journal replayed, FIX store reloaded.
        await using FixFixture second = await FixFixture.StartAsync(data.Path);
        (int rc2, string text2) = await Toolchain.RunAsync(exe!, [second.FixEndpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), work.Path, Toolchain.Dictionary, "second"], 120_000);
        output.WriteLine(text2);
        Assert.True(rc2 == 0, $"initiator (second) exited {rc2}:\n{text2}");
        Assert.Contains("OK second", text2, StringComparison.Ordinal);

        // Independent check over SBE: exactly the money the FIX run moved, once each (the duplicate and the
        // insufficient-funds transfer moved nothing; the resent transfer moved once).
        await using WalletClient sbe = await WalletClient.ConnectAsync(new WalletClientOptions
        {
            Port = second.SbeEndpoint.Port,
            ClientId = "admin",
            Credential = FixFixture.AdminPassword,
        });
        Account[] accounts = await sbe.LookupAccountsAsync(new UInt128[] { 1, 1001, 1002 });
        Assert.Equal(3, accounts.Length);
        Assert.Equal(10000, accounts[0].DebitsPosted);
        Assert.Equal(10000 - 3025 - 100 - 75, accounts[1].CreditsPosted - accounts[1].DebitsPosted);
        Assert.Equal(3025 + 100 + 75, accounts[2].CreditsPosted - accounts[2].DebitsPosted);
        Transfer[] transfers = await sbe.LookupTransfersAsync(new UInt128[] { 7001, 7002, 7003, 7004, 7005 });
        Assert.Equal(4, transfers.Length); // 7003 (insufficient funds) was never stored
    }
}
