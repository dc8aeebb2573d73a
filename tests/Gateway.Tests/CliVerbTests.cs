using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Wallet.Gateway.Tests.Support;

namespace Wallet.Gateway.Tests;

/// <summary>
/// The client verbs of the real `wallet` executable (account create/show, transfer) against an in-process
/// gateway + partition: exit codes, exact decimal amounts, idempotent repeats, authorisation, bad input.
/// </summary>
public sealed class CliVerbTests
{
    private sealed record CliRun(int ExitCode, string Output, string Error);

    private static async Task<CliRun> Wallet(int port, string password, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "wallet.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (port > 0)
        {
            // Client verbs; an offline verb (files only) gets port 0 and no --port.
            psi.ArgumentList.Add("--port");
            psi.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        }
        psi.Environment["WALLET_PASSWORD"] = password;
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill();
            throw new TimeoutException($"wallet {string.Join(' ', args)} did not exit within 60 s");
        }
        return new CliRun(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>A gateway with the CLI's generous timeouts and USD accounts 100 and 200, created through the CLI.</summary>
    private static async Task<GatewayFixture> TwoAccountsAsync(Func<global::Wallet.Engine.Partition.PartitionOptions, global::Wallet.Engine.Partition.PartitionOptions>? partition = null)
    {
        GatewayFixture server = GatewayFixture.Start(gateway: g => new Wallet.Gateway.GatewayOptions
        {
            Port = 0, HeartbeatIntervalMs = 1000, MinHeartbeatIntervalMs = 20, LogonTimeoutMs = 30_000, CloseLingerMs = 200,
        }, partition: partition);
        int port = server.Endpoint.Port;
        Assert.Equal(0, (await Wallet(port, GatewayFixture.AdminPassword, "account", "create", "100", "--ledger", "USD")).ExitCode);
        Assert.Equal(0, (await Wallet(port, GatewayFixture.AdminPassword, "account", "create", "200", "--ledger", "USD")).ExitCode);
        return server;
    }

    [Fact]
    public async Task Saga_resolve_posts_or_voids_a_kept_source_hold_with_the_sequencers_step_ids()
    {
        await using GatewayFixture server = await TwoAccountsAsync();
        int port = server.Endpoint.Port;
        // Two source holds a sequencer left behind (sagas 42 and 43 ended with StepOutcomeForgotten).
        await using (RawClient peer = await server.ConnectAsync())
        {
            await peer.LogonAsync("peer", GatewayFixture.SystemPassword);
            foreach (ulong saga in (ulong[])[42, 43])
            {
                var hold = new TransferSpec(global::Wallet.Engine.Ledger.SystemIds.StepTransferId(saga, 1), 100, 200, 1234, Flags: (ushort)global::Wallet.Engine.Ledger.TransferFlags.Pending);
                Assert.Equal([(0u, (uint)global::Wallet.Engine.Ledger.ResultCode.Ok)], (await peer.SystemTransfersAsync(0, hold)).Results);
            }
        }

        const string peerPassword = GatewayFixture.SystemPassword;
        CliRun posted = await Wallet(port, peerPassword, "saga", "resolve", "42", "--source-partition", "0", "--post", "--user", "peer");
        Assert.True(posted.ExitCode == 0, posted.Error);
        Assert.Contains("saga 42: source hold posted", posted.Output, StringComparison.Ordinal);
        CliRun repeat = await Wallet(port, peerPassword, "saga", "resolve", "42", "--source-partition", "0", "--post", "--user", "peer");
        Assert.Equal(0, repeat.ExitCode);
        Assert.Contains("already posted (a repeat)", repeat.Output, StringComparison.Ordinal);
        CliRun voided = await Wallet(port, peerPassword, "saga", "resolve", "43", "--source-partition", "0", "--void", "--user", "peer", "--json");
        Assert.True(voided.ExitCode == 0, voided.Error);
        Assert.Contains("\"result\":\"Ok\"", voided.Output, StringComparison.Ordinal);

        await using (RawClient admin = await server.AdminAsync())
        {
            var a = (await admin.LookupAccountsAsync(100)).Single();
            Assert.Equal((1234L, 0L), (a.DebitsPosted, a.DebitsPending)); // 42 moved on, 43 came back
        }

        CliRun missing = await Wallet(port, peerPassword, "saga", "resolve", "44", "--source-partition", "0", "--void", "--user", "peer");
        Assert.Equal(4, missing.ExitCode);
        Assert.Contains("PendingTransferNotFound (no such hold on this partition", missing.Error, StringComparison.Ordinal);
        CliRun notSystem = await Wallet(port, GatewayFixture.AdminPassword, "saga", "resolve", "43", "--source-partition", "0", "--post");
        Assert.Equal(4, notSystem.ExitCode);
        Assert.Contains("system role", notSystem.Error, StringComparison.Ordinal);
        Assert.Equal(2, (await Wallet(port, peerPassword, "saga", "resolve", "43", "--source-partition", "0", "--post", "--void", "--user", "peer")).ExitCode);
        Assert.Equal(2, (await Wallet(port, peerPassword, "saga", "resolve", "x", "--source-partition", "0", "--post", "--user", "peer")).ExitCode);
    }

    [Fact]
    public async Task Saga_check_reads_the_destination_journal_and_says_whether_the_credit_applied()
    {
        await using GatewayFixture server = await TwoAccountsAsync();
        int port = server.Endpoint.Port;
        // This partition is the destination of three sagas: 7's credit applied (Saga mode: posted), 8's was held and
        // released (TCC: pending, then voided), 9 never reached it.
        static UInt128 Step(ulong saga, int step) => global::Wallet.Engine.Ledger.SystemIds.StepTransferId(saga, step);
        await using (RawClient peer = await server.ConnectAsync())
        {
            await peer.LogonAsync("peer", GatewayFixture.SystemPassword);
            var ok = new List<(uint, uint)> { (0u, (uint)global::Wallet.Engine.Ledger.ResultCode.Ok) };
            Assert.Equal(ok, (await peer.SystemTransfersAsync(0, new TransferSpec(Step(7, 2), 100, 200, 500))).Results);
            Assert.Equal(ok, (await peer.SystemTransfersAsync(0, new TransferSpec(Step(8, 2), 100, 200, 300, Flags: (ushort)global::Wallet.Engine.Ledger.TransferFlags.Pending))).Results);
            Assert.Equal(ok, (await peer.SystemTransfersAsync(0, new TransferSpec(Step(8, 6), 0, 0, 0,
                Flags: (ushort)global::Wallet.Engine.Ledger.TransferFlags.VoidPendingTransfer, PendingId: Step(8, 2)))).Results);
        }

        // Offline (files only), on the live node's directory.
        CliRun applied = await Wallet(0, "", "saga", "check", "7", "--data-dir", server.DataDirectory);
        Assert.True(applied.ExitCode == 0, applied.Output + applied.Error);
        Assert.Contains("saga 7: the credit applied (index ", applied.Output, StringComparison.Ordinal);
        Assert.Contains("wallet saga resolve 7 --source-partition <the debit account's partition> --post", applied.Output, StringComparison.Ordinal);
        CliRun released = await Wallet(0, "", "saga", "check", "8", "--data-dir", server.DataDirectory, "--json");
        Assert.True(released.ExitCode == 0, released.Output + released.Error);
        using (JsonDocument json = JsonDocument.Parse(released.Output))
        {
            Assert.Equal("PendingVoided", json.RootElement.GetProperty("state").GetString());
            Assert.Equal("--void", json.RootElement.GetProperty("resolve").GetString());
            Assert.Equal(1, json.RootElement.GetProperty("journal_first").GetInt64());
        }
        CliRun absent = await Wallet(0, "", "saga", "check", "9", "--data-dir", server.DataDirectory);
        Assert.True(absent.ExitCode == 0, absent.Output + absent.Error);
        Assert.Contains("saga 9: no credit for this saga in the event journal (records 1..", absent.Output, StringComparison.Ordinal);
        Assert.Contains("--void", absent.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await Wallet(0, "", "saga", "check", "0", "--data-dir", server.DataDirectory)).ExitCode);
    }

    [Fact]
    public async Task Saga_check_never_says_void_when_the_event_journal_does_not_cover_every_command()
    {
        // Events off: the credit applies, but only the command journal records it. "Absent from the event journal" must
        // then read as "cannot tell" — a --void there would release a hold whose money already moved (money created).
        await using GatewayFixture server = await TwoAccountsAsync(p => new global::Wallet.Engine.Partition.PartitionOptions
        {
            DataDirectory = p.DataDirectory, Ledger = p.Ledger, MaxCommandBytes = p.MaxCommandBytes, JournalSegmentSizeBytes = p.JournalSegmentSizeBytes,
            Fsync = p.Fsync, IngressRingSize = p.IngressRingSize, EgressRingSize = p.EgressRingSize, EventJournal = false,
        });
        await using (RawClient peer = await server.ConnectAsync())
        {
            await peer.LogonAsync("peer", GatewayFixture.SystemPassword);
            var credit = new TransferSpec(global::Wallet.Engine.Ledger.SystemIds.StepTransferId(5, 2), 100, 200, 500);
            Assert.Equal([(0u, (uint)global::Wallet.Engine.Ledger.ResultCode.Ok)], (await peer.SystemTransfersAsync(0, credit)).Results);
        }
        CliRun check = await Wallet(0, "", "saga", "check", "5", "--data-dir", server.DataDirectory);
        Assert.True(check.ExitCode == 4, check.Output + check.Error);
        Assert.Contains("cannot tell", check.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("--void", check.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Account_and_transfer_verbs_move_exact_amounts_and_report_precise_outcomes()
    {
        await using GatewayFixture server = GatewayFixture.Start(gateway: g => new Wallet.Gateway.GatewayOptions
        {
            Port = 0, HeartbeatIntervalMs = 1000, MinHeartbeatIntervalMs = 20, LogonTimeoutMs = 30_000, CloseLingerMs = 200,
        });
        int port = server.Endpoint.Port;
        const string admin = GatewayFixture.AdminPassword;

        CliRun created = await Wallet(port, admin, "account", "create", "100", "--ledger", "USD");
        Assert.True(created.ExitCode == 0, created.Error);
        Assert.Contains("account 100 created (USD)", created.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await Wallet(port, admin, "account", "create", "0xC8", "--ledger", "usd", "--flags", "history")).ExitCode);

        CliRun moved = await Wallet(port, admin, "transfer", "--id", "7", "--from", "100", "--to", "200", "--amount", "12.34", "--ledger", "USD");
        Assert.True(moved.ExitCode == 0, moved.Error);
        Assert.Contains("ok (12.34 USD) at log index ", moved.Output, StringComparison.Ordinal);
        // The receipt names the command that applied the transfer: the engine's applied index right after it.
        Assert.Contains($"at log index {server.Partition.AppliedIndex}", moved.Output, StringComparison.Ordinal);

        CliRun again = await Wallet(port, admin, "transfer", "--id", "7", "--from", "100", "--to", "200", "--amount", "12.34", "--ledger", "USD");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("already applied", again.Output, StringComparison.Ordinal);
        CliRun againJson = await Wallet(port, admin, "transfer", "--id", "7", "--from", "100", "--to", "200", "--amount", "12.34", "--ledger", "USD", "--json");
        using (JsonDocument json = JsonDocument.Parse(againJson.Output))
        {
            // The repeat's own command answered it: a later index, with its ledger time.
            Assert.Equal("Exists", json.RootElement.GetProperty("result").GetString());
            Assert.Equal(server.Partition.AppliedIndex, json.RootElement.GetProperty("index").GetInt64());
            Assert.True(json.RootElement.GetProperty("timestamp_ns").GetInt64() > 0);
        }

        CliRun tooPrecise = await Wallet(port, admin, "transfer", "--id", "8", "--from", "100", "--to", "200", "--amount", "1.234", "--ledger", "USD");
        Assert.Equal(2, tooPrecise.ExitCode);
        Assert.Contains("more than 2 decimals", tooPrecise.Error, StringComparison.Ordinal);

        CliRun exponent = await Wallet(port, admin, "transfer", "--id", "9", "--from", "100", "--to", "200", "--amount", "1e3", "--ledger", "USD");
        Assert.Equal(2, exponent.ExitCode);

        // alice may debit 100..199 only: debiting 200 is refused whole, nothing applied.
        CliRun unauthorised = await Wallet(port, GatewayFixture.ClientPassword, "transfer", "--user", "alice", "--id", "10", "--from", "200", "--to", "100", "--amount", "1", "--ledger", "USD");
        Assert.Equal(4, unauthorised.ExitCode);
        Assert.Contains("Unauthorized", unauthorised.Error, StringComparison.Ordinal);

        CliRun show = await Wallet(port, admin, "account", "show", "100", "200", "--json");
        Assert.True(show.ExitCode == 0, show.Error);
        using (JsonDocument json = JsonDocument.Parse(show.Output))
        {
            JsonElement[] accounts = json.RootElement.GetProperty("accounts").EnumerateArray().ToArray();
            Assert.Equal("-12.34", accounts[0].GetProperty("balance").GetString());
            Assert.Equal("12.34", accounts[1].GetProperty("balance").GetString());
            Assert.Equal("12.34", accounts[1].GetProperty("credits_posted").GetString());
        }

        CliRun missing = await Wallet(port, admin, "account", "show", "999");
        Assert.Equal(4, missing.ExitCode);
        Assert.Contains("not found", missing.Error, StringComparison.Ordinal);

        CliRun badPassword = await Wallet(port, "wrong", "account", "show", "100");
        Assert.Equal(5, badPassword.ExitCode);
        Assert.Contains("logon refused", badPassword.Error, StringComparison.Ordinal);

        CliRun badId = await Wallet(port, admin, "account", "show", "12ab");
        Assert.Equal(2, badId.ExitCode);

        // transfer show: exact from the engine, amounts at the ledger's scale; a missing id says where older ones are.
        CliRun shown = await Wallet(port, admin, "transfer", "show", "7", "--json");
        Assert.True(shown.ExitCode == 0, shown.Error);
        using (JsonDocument json = JsonDocument.Parse(shown.Output))
        {
            JsonElement t = Assert.Single(json.RootElement.GetProperty("transfers").EnumerateArray().ToArray());
            Assert.Equal("7", t.GetProperty("id").GetString());
            Assert.Equal("12.34", t.GetProperty("amount").GetString());
            Assert.Equal("100", t.GetProperty("debit_account").GetString());
            Assert.Equal("200", t.GetProperty("credit_account").GetString());
            Assert.Equal("USD", t.GetProperty("ledger").GetString());
            Assert.Equal(0, json.RootElement.GetProperty("missing").GetInt32());
        }
        CliRun partly = await Wallet(port, admin, "transfer", "show", "7", "8");
        Assert.Equal(4, partly.ExitCode);
        Assert.Contains("transfer 7: 12.34 USD from 100 to 200", partly.Output, StringComparison.Ordinal);
        Assert.Contains("transfer 8: not found", partly.Error, StringComparison.Ordinal);
        Assert.Contains("?source=view", partly.Error, StringComparison.Ordinal);
    }
}
