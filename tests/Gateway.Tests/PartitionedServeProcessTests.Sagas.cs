using System.Net;
using Wallet.Gateway.Tests.Support;

namespace Wallet.Gateway.Tests;

/// <summary>
/// Cross-partition transfers through the real executable: <c>serve --partitions 3</c> runs the saga sequencer by
/// default, so a transfer between accounts on two partitions is carried out (HTTP and SBE), a repeat of its id applies
/// nothing more, one that cannot be credited is compensated with nothing left behind, and everything holds over a
/// restart in another mode.
/// </summary>
public sealed partial class PartitionedServeProcessTests
{
    [Fact]
    public async Task Cross_partition_transfers_run_as_sagas_apply_once_compensate_and_survive_a_restart()
    {
        using var dir = new TempDirectory("serve-sagas");
        int port = FreePort();
        (ulong from, _) = PairOn(0);
        (ulong to, ulong missing) = PairOn(2);
        // A snapshot of the saga table every 2 sequencer commands: the restart below must load one.
        using (var serve = new Serve(dir.Path, port, "--partitions", "3", "--Saga:SnapshotEveryCommands=2"))
        {
            (_, HttpClient http) = await serve.ListeningAsync();
            using (http)
            {
                Assert.Contains("cross-partition transfers by the saga sequencer, mode Saga", serve.Output, StringComparison.Ordinal);
                foreach (ulong id in new[] { from, to })
                    Assert.Equal(HttpStatusCode.Created, (await PostAsync(http, "/v1/accounts", $$"""{"id":"{{id}}","currency":"USD"}""")).StatusCode);

                using (HttpResponseMessage moved = await PostAsync(http, "/v1/wallet/balance_transfer",
                           $$"""{"from_account":"{{from}}","to_account":"{{to}}","amount":"2.50","currency":"USD","transaction_id":"700"}"""))
                {
                    string body = await moved.Content.ReadAsStringAsync();
                    Assert.True(moved.StatusCode == HttpStatusCode.OK, body);
                    Assert.Contains("\"result\":\"Ok\"", body, StringComparison.Ordinal);
                }
                // The same id again: the first outcome stands, nothing moves twice.
                using (HttpResponseMessage repeat = await PostAsync(http, "/v1/wallet/balance_transfer",
                           $$"""{"from_account":"{{from}}","to_account":"{{to}}","amount":"2.50","currency":"USD","transaction_id":"700"}"""))
                {
                    Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
                }
                // The credit cannot happen (no such account on partition 2): the hold is voided, the client hears why.
                using (HttpResponseMessage refused = await PostAsync(http, "/v1/wallet/balance_transfer",
                           $$"""{"from_account":"{{from}}","to_account":"{{missing}}","amount":"1.00","currency":"USD","transaction_id":"701"}"""))
                {
                    Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
                }

                // Exact balances from each account's own partition: moved once, nothing held, nothing of the refused one.
                await GetEventuallyAsync(http, $"/v1/accounts/{from}", "\"debits_posted\":\"2.50\"");
                string source = await GetEventuallyAsync(http, $"/v1/accounts/{from}", "\"debits_pending\":\"0.00\"");
                Assert.Contains("\"debits_posted\":\"2.50\"", source, StringComparison.Ordinal);
                await GetEventuallyAsync(http, $"/v1/accounts/{to}", "\"credits_posted\":\"2.50\"");

                // SBE: the same seam; a transfer the other way, answered with the saga's outcome as one result.
                await using (RawClient admin = await RawClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)))
                {
                    await admin.LogonAsync("admin", "admin-dev-password");
                    CreateResultsView back = await admin.CreateTransfersAsync(new TransferSpec(702, to, from, 50));
                    Assert.Equal((uint)Wallet.Engine.Ledger.ResultCode.Ok, Assert.Single(back.Results).Code);
                    AccountView destination = Assert.Single(await admin.LookupAccountsAsync(to));
                    Assert.Equal((250L, 50L), (destination.CreditsPosted, destination.DebitsPosted));
                }
            }
            Assert.Equal(0, await serve.TerminateAsync());
        }
        Assert.True(Directory.Exists(Path.Combine(dir.Path, "saga")), "the sequencer's journal lives in data/saga");
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir.Path, "saga"), "saga-state-*.snap"));

        // Restart in TCC mode: balances recovered, the old id still applies once, a new transfer goes through.
        using (var again = new Serve(dir.Path, port, "--partitions", "3", "--Saga:Mode=tcc"))
        {
            (_, HttpClient http) = await again.ListeningAsync();
            using (http)
            {
                Assert.Contains("mode Tcc", again.Output, StringComparison.Ordinal);
                Assert.Contains("saga sequencer recovered from its snapshot at index", again.Output, StringComparison.Ordinal);
                using (HttpResponseMessage repeat = await PostAsync(http, "/v1/wallet/balance_transfer",
                           $$"""{"from_account":"{{from}}","to_account":"{{to}}","amount":"2.50","currency":"USD","transaction_id":"700"}"""))
                {
                    Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
                }
                using (HttpResponseMessage tcc = await PostAsync(http, "/v1/wallet/balance_transfer",
                           $$"""{"from_account":"{{from}}","to_account":"{{to}}","amount":"1.25","currency":"USD","transaction_id":"703"}"""))
                {
                    string body = await tcc.Content.ReadAsStringAsync();
                    Assert.True(tcc.StatusCode == HttpStatusCode.OK, body);
                }
                string source = await GetEventuallyAsync(http, $"/v1/accounts/{from}", "\"debits_posted\":\"3.75\"");
                Assert.Contains("\"credits_posted\":\"0.50\"", source, StringComparison.Ordinal);
                await GetEventuallyAsync(http, $"/v1/accounts/{to}", "\"credits_posted\":\"3.75\"");
            }
            Assert.Equal(0, await again.TerminateAsync());
        }

        using (var bad = new Serve(dir.Path, port, "--partitions", "3", "--Saga:Mode=3pc"))
        {
            Assert.Equal(2, await bad.ExitAsync());
            Assert.Contains("Saga:Mode = '3pc' is invalid: expected saga, tcc or 2pc.", bad.Output, StringComparison.Ordinal);
        }

        using (var noSnapshots = new Serve(dir.Path, port, "--partitions", "3", "--Saga:JournalRetention=BeforeOldestSnapshot", "--Saga:SnapshotEveryCommands=0"))
        {
            Assert.Equal(2, await noSnapshots.ExitAsync());
            Assert.Contains("Saga:JournalRetention = BeforeOldestSnapshot needs snapshots", noSnapshots.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Sdk_single_transfers_mixing_partitions_and_sagas_are_split_by_the_gateway_and_all_answered()
    {
        using var dir = new TempDirectory("serve-split");
        int port = FreePort();
        using var serve = new Serve(dir.Path, port, "--partitions", "3");
        (_, HttpClient http) = await serve.ListeningAsync();
        http.Dispose();
        var accounts = new ulong[3][];
        for (int p = 0; p < 3; p++)
        {
            var ids = new List<ulong>();
            for (ulong id = 5000; ids.Count < 3; id++)
            {
                if (s_map.PartitionOf(id) == p) ids.Add(id);
            }
            accounts[p] = [.. ids];
        }
        await using var client = await Wallet.Client.WalletClient.ConnectAsync(new Wallet.Client.WalletClientOptions
        {
            Port = port, ClientId = "admin", Credential = "admin-dev-password", RequestTimeoutMs = 30_000,
        }).WaitAsync(TimeSpan.FromSeconds(30));
        // One request over three partitions (the gateway splits it); the last account of partition 2 is left out.
        var open = new Wallet.Engine.Ledger.Account[8];
        for (int i = 0; i < 8; i++) open[i] = new Wallet.Engine.Ledger.Account { Id = accounts[i % 3][i / 3], Ledger = 1, Code = 1 };
        Assert.All(await client.CreateAccountsAsync(open), r => Assert.Equal(Wallet.Engine.Ledger.ResultCode.Ok, r.Code));

        // Concurrent single transfers: the SDK packs them into shared messages mixing same-partition transfers and
        // sagas; every third crosses to the next partition, and those towards the missing account must be refused.
        const int Count = 600;
        ulong missing = accounts[2][2];
        var calls = new Task<Wallet.Engine.Ledger.ResultCode>[Count];
        var expected = new Wallet.Engine.Ledger.ResultCode[Count];
        for (int i = 0; i < Count; i++)
        {
            int p = i % 3;
            ulong debit = accounts[p][0];
            ulong credit = i % 3 == 0 ? accounts[(p + 1) % 3][1] : accounts[p][1];
            if (i % 100 == 1) credit = missing; // partition 1 → partition 2's missing account: a saga that is compensated
            expected[i] = credit == missing ? Wallet.Engine.Ledger.ResultCode.CreditAccountNotFound : Wallet.Engine.Ledger.ResultCode.Ok;
            calls[i] = client.CreateTransferAsync(new Wallet.Engine.Ledger.Transfer
            {
                Id = (UInt128)(900_000 + i), DebitAccountId = debit, CreditAccountId = credit, Amount = 1, Ledger = 1, Code = 1,
            });
        }
        Wallet.Engine.Ledger.ResultCode[] codes = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(expected, codes);

        // Money is conserved over the whole ledger and nothing is left held.
        var ids128 = new UInt128[8];
        for (int i = 0; i < 8; i++) ids128[i] = open[i].Id;
        Wallet.Engine.Ledger.Account[] after = await client.LookupAccountsAsync(ids128);
        Assert.Equal(8, after.Length);
        Assert.Equal(0, after.Sum(a => a.CreditsPosted - a.DebitsPosted));
        Assert.All(after, a => Assert.Equal((0L, 0L), (a.DebitsPending, a.CreditsPending)));
        Assert.Equal(Count - 6, after.Sum(a => a.DebitsPosted));
        Assert.Equal(0, await serve.TerminateAsync());
    }
}