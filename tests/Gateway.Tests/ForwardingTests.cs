using System.Runtime.InteropServices;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Tcp;
using Wallet.Gateway.Tests.Support;
using Wallet.Host.Cluster;
using Wallet.Host.Configuration;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Tests;

/// <summary>
/// Forwarding between nodes (docs/gateway.md): two gateways in one process stand for two nodes of a cluster whose
/// partitions are led by different nodes — node A leads partition 0, node B partition 1. A client connected to either is
/// served whole: the items led by the other node are forwarded there by the real <see cref="PeerForwarder"/> (client SDK,
/// peer role) and the answers merged in item order. A peer's own requests are never forwarded again; when one node leads
/// everything, clients are redirected there; a node that cannot be reached answers "not applied" per item, and a
/// forwarded request that never gets an answer hands the whole request back (resubmit, as after a leader change).
/// </summary>
public sealed class ForwardingTests : IAsyncLifetime
{
    private const int Partitions = 2;
    private const string PeerUser = GatewayFixture.PeerUser;
    private const string PeerPassword = GatewayFixture.PeerPassword;
    private static readonly PartitionMap s_map = PartitionMap.Uniform(Partitions);

    private readonly TempDirectory _dir = new("forward");
    private readonly Node _a;
    private readonly Node _b;

    public ForwardingTests()
    {
        _a = new Node(Path.Combine(_dir.Path, "a"), leads: 0, RequestTimeoutMs: 10_000);
        _b = new Node(Path.Combine(_dir.Path, "b"), leads: 1, RequestTimeoutMs: 10_000);
        _a.Router.Other = _b.Gateway.LocalEndPoint.Port;
        _b.Router.Other = _a.Gateway.LocalEndPoint.Port;
    }

    /// <summary>One "node": a gateway, the partition it leads (the other is led by the node on port <see cref="TwoNodeRouter.Other"/>), a real forwarder.</summary>
    private sealed class Node : IAsyncDisposable
    {
        public readonly GatewayServer Gateway;
        public readonly PartitionEngine Engine;
        public readonly TwoNodeRouter Router;
        public readonly PeerForwarder Forwarder;

        public Node(string directory, int leads, int RequestTimeoutMs)
        {
            Gateway = new GatewayServer(GatewayFixture.DefaultGateway(), new UserDirectory(GatewayFixture.Users));
            Engine = PartitionEngine.Start(GatewayFixture.DefaultPartition(directory), Gateway.ResultHandler);
            Forwarder = new PeerForwarder(new ForwardingSettings
            {
                Enabled = true, PeerUser = PeerUser, PeerPassword = PeerPassword, MaxInFlightPerNode = 64, RequestTimeoutMs = RequestTimeoutMs,
            }, s_map.PartitionOf);
            Router = new TwoNodeRouter(leads, Engine, Forwarder);
            Gateway.Start(Router);
        }

        public async ValueTask DisposeAsync()
        {
            await Forwarder.DisposeAsync();
            Gateway.StopIntake();
            Engine.Stop(TimeSpan.FromSeconds(10), snapshot: false);
            await Gateway.StopAsync(TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>
    /// Consensus as node "leads" sees it: its own partition local, the other led by the gateway on port <see cref="Other"/>
    /// (everything local when <see cref="BlackHole"/>). Submits to a partition it does not lead answer NotLeader.
    /// </summary>
    private sealed class TwoNodeRouter(int leads, PartitionEngine engine, IRequestForwarder forwarder) : IRequestRouter
    {
        public volatile int Other;
        public volatile bool LeadsNothing;
        /// <summary>Leads both partitions (its one engine takes them all).</summary>
        public volatile bool LeadsAll;
        /// <summary>Takes every command and never answers (a leader that hangs).</summary>
        public volatile bool BlackHole;

        public int PartitionCount => Partitions;

        public int PartitionOf(UInt128 accountId) => s_map.PartitionOf(accountId);

        public IRequestForwarder? Forwarder => forwarder;

        public LeaderInfo LeaderOf(int partition) =>
            BlackHole || LeadsAll || (partition == leads && !LeadsNothing) ? LeaderInfo.Local : LeaderInfo.Remote("127.0.0.1", Other, 1);

        public SubmitStatus Submit(int partition, ushort kind, long correlationId, long sessionId, ReadOnlySpan<byte> payload) =>
            BlackHole ? SubmitStatus.Accepted
            : LeaderOf(partition).IsLocal ? engine.TrySubmit(kind, correlationId, sessionId, payload) : SubmitStatus.NotLeader;
    }

    // xunit 2 disposes a test class through IDisposable or IAsyncLifetime only, never IAsyncDisposable.
    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _dir.Dispose();
    }

    private static UInt128[] IdsOn(int partition, int count, ulong from = 100) => PartitionedSetup.IdsOn(s_map, partition, count, from);

    private static async Task<RawClient> LogonAsync(Node node, string user = "admin", string password = GatewayFixture.AdminPassword)
    {
        RawClient c = await RawClient.ConnectAsync(node.Gateway.LocalEndPoint);
        await c.LogonAsync(user, password, heartbeatIntervalMs: 10_000);
        return c;
    }

    [Fact]
    public async Task A_request_over_partitions_led_by_two_nodes_is_served_whole_by_either()
    {
        await using RawClient onA = await LogonAsync(_a);
        UInt128[] p0 = IdsOn(0, 2), p1 = IdsOn(1, 2);
        long bBefore = _b.Engine.AppliedIndex;

        // Accounts of both partitions in one request on A: partition 1's are created by B (forwarded), one answer.
        CreateResultsView created = await onA.CreateAccountsAsync(1, p1[0], p0[0], p1[1], p0[1]);
        PartitionedSetup.AllOk(created, 4);
        Assert.Equal(0, created.LogIndex);
        Assert.True(_b.Engine.AppliedIndex > bBefore);

        // Transfers: results in item order, each from its own partition (item 2 fails on B, item 3 on A).
        CreateResultsView moved = await onA.CreateTransfersAsync(
            new TransferSpec(1, p1[0], p1[1], 7), new TransferSpec(2, p0[0], p0[1], 5),
            new TransferSpec(3, p1[1], p1[0], 0), new TransferSpec(4, p0[0], p0[0], 1));
        Assert.Equal(
            [(0u, (uint)ResultCode.Ok), (1u, (uint)ResultCode.Ok), (2u, (uint)ResultCode.AmountMustNotBeZero), (3u, (uint)ResultCode.AccountsMustBeDifferent)],
            moved.Results);

        // Lookups merged in request order, from a client on B this time (partition 0's part forwarded to A).
        await using RawClient onB = await LogonAsync(_b);
        List<AccountView> found = await onB.LookupAccountsAsync(p0[1], p1[0], 999_999, p0[0]);
        Assert.Equal([p0[1], p1[0], p0[0]], found.Select(a => a.Id));
        Assert.Equal((7L, 0L), (found[1].DebitsPosted, found[1].CreditsPosted));
        Assert.Equal((5L, 0L), (found[2].DebitsPosted, found[2].CreditsPosted));

        // A request wholly for the other node's partition is forwarded too (leaderships are spread: a Redirect would
        // move the client only until its next request for the other partition).
        PartitionedSetup.AllOk(await onA.CreateTransfersAsync(new TransferSpec(5, p1[1], p1[0], 2), new TransferSpec(6, p1[0], p1[1], 1)), 2);
        Assert.Equal([p1[0]], (await onA.LookupAccountsAsync(p1[0])).Select(a => a.Id));
        // Repeats are idempotent through the forward as anywhere: same outcome, nothing applied twice.
        Assert.Equal([(0u, (uint)ResultCode.Exists)], (await onA.CreateTransfersAsync(new TransferSpec(5, p1[1], p1[0], 2))).Results);
        AccountView after = Assert.Single(await onB.LookupAccountsAsync(p1[1]));
        Assert.Equal((2L, 8L), (after.DebitsPosted, after.CreditsPosted));
        Assert.Equal(5, _a.Forwarder.Forwarded); // two mixed requests, then three wholly for partition 1

        // A transfer lookup asks every partition: partition 1's part is asked of B (PeerLookupTransfers), one answer in
        // request order, from either node.
        foreach (RawClient on in new[] { onA, onB })
        {
            List<TransferView> transfers = await on.LookupTransfersAsync(5, 2, 404, 1);
            Assert.Equal([(UInt128)5, 2, 1], transfers.Select(t => t.Id));
            Assert.Equal((p1[1], 2L), (transfers[0].DebitAccountId, transfers[0].Amount));
        }
        Assert.Equal(6, _a.Forwarder.Forwarded);
        Assert.Equal(0, _a.Forwarder.Failures + _b.Forwarder.Failures);
        Assert.Equal(0, _a.Forwarder.Failures);
    }

    [Fact]
    public async Task A_forwarded_answer_carries_the_leaders_log_index_and_ledger_time()
    {
        UInt128[] p1 = IdsOn(1, 2, from: 3000);
        await using RawClient onA = await LogonAsync(_a);
        PartitionedSetup.AllOk(await onA.CreateAccountsAsync(1, p1), 2);

        // One transfer (the forwarder's coalesced single path) and a batch of two (its batch path), each wholly B's: the
        // answer on A names the command's index in B's log and B's ledger time for it — what a direct client of B sees.
        CreateResultsView single = await onA.CreateTransfersAsync(new TransferSpec(31, p1[0], p1[1], 3));
        PartitionedSetup.AllOk(single, 1);
        Assert.Equal(_b.Engine.AppliedIndex, single.LogIndex);
        CreateResultsView batch = await onA.CreateTransfersAsync(new TransferSpec(32, p1[0], p1[1], 4), new TransferSpec(33, p1[1], p1[0], 1));
        PartitionedSetup.AllOk(batch, 2);
        Assert.Equal(_b.Engine.AppliedIndex, batch.LogIndex);
        Assert.True(batch.LogIndex > single.LogIndex && single.LogIndex > 0);
        await using RawClient onB = await LogonAsync(_b);
        List<TransferView> stored = await onB.LookupTransfersAsync(31, 33);
        // A command's stamp is its last item's ledger time.
        Assert.Equal((single.TimestampNs, batch.TimestampNs), (stored[0].TimestampNs, stored[1].TimestampNs));

        // The SDK's receipts, on A: commands and reads answered by B, with B's positions.
        await using WalletClient client = await WalletClient.ConnectAsync(new WalletClientOptions
        {
            Host = "127.0.0.1", Port = _a.Gateway.LocalEndPoint.Port, ClientId = "admin", Credential = GatewayFixture.AdminPassword, RequestTimeoutMs = 30_000,
        });
        Receipt<CreateResult[]> receipt = await client.CreateTransfersWithReceiptAsync(new[]
        {
            new Transfer { Id = 34, DebitAccountId = p1[0], CreditAccountId = p1[1], Amount = 5, Ledger = 1, Code = 1 },
        });
        Assert.Equal(ResultCode.Ok, Assert.Single(receipt.Value).Code);
        Assert.Equal(_b.Engine.AppliedIndex, receipt.LogIndex);
        Assert.Equal(Assert.Single(await onB.LookupTransfersAsync(34)).TimestampNs, receipt.TimestampNs);
        Receipt<Account[]> read = await client.LookupAccountsWithReceiptAsync(new[] { p1[0] });
        Assert.Equal((p1[0], 12L), (Assert.Single(read.Value).Id, read.Value[0].DebitsPosted));
        Assert.True(read.LogIndex >= receipt.LogIndex, $"read at {read.LogIndex}, after the command at {receipt.LogIndex}");
        Assert.Equal(0, read.TimestampNs);

        // A lone Linked transfer (a chain left open) is forwarded as a batch, never coalesced with strangers' transfers:
        // the leader answers it as it would a direct client.
        CreateResultsView open = await onA.CreateTransfersAsync(new TransferSpec(35, p1[0], p1[1], 1, Flags: (ushort)TransferFlags.Linked));
        Assert.Equal([(0u, (uint)ResultCode.LinkedEventChainOpen)], open.Results);
        Assert.Equal(0, _a.Forwarder.Failures);
    }

    private sealed class ReceiptCompletion : IForwardCompletion
    {
        private readonly TaskCompletionSource<(ResultCode Code, long LogIndex)> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<(ResultCode Code, long LogIndex)> Done => _done.Task;
        public void OnResults(ReadOnlySpan<ResultCode> codes, long logIndex, long timestampNs) => _done.TrySetResult((codes[0], logIndex));
        public void OnFound(ReadOnlySpan<Account> found, long logIndex) => _done.TrySetException(new InvalidOperationException("a read answer to a transfer"));
        public void OnNotTaken(ResultCode code) => _done.TrySetResult((code, -1));
        public void OnOutcomeUnknown() => _done.TrySetResult((ResultCode.PartitionUnavailable, -2));
    }

    [Fact]
    public async Task Forwarded_single_transfers_of_two_partitions_to_one_leader_each_carry_its_log_index()
    {
        // B leads both partitions (as after a failover left one node leading everything) and A forwards single transfers
        // of both to it, many at once: the SDK coalesces single transfers into one message, and a message holding two
        // partitions' transfers would be split by B and answered without a log index. Each partition has its own link.
        _b.Router.LeadsAll = true;
        UInt128[] p0 = IdsOn(0, 2, from: 6000), p1 = IdsOn(1, 2, from: 6000);
        await using (RawClient onB = await LogonAsync(_b))
        {
            PartitionedSetup.AllOk(await onB.CreateAccountsAsync(1, p0[0], p0[1], p1[0], p1[1]), 4);
        }
        const int Count = 60; // within one link's in-flight bound (MaxInFlightPerNode 64 here), so the test also runs on one link
        var pending = new List<Task<(ResultCode Code, long LogIndex)>>();
        var node = LeaderInfo.Remote("127.0.0.1", _b.Gateway.LocalEndPoint.Port, 1);
        var one = new Transfer[1];
        for (int i = 0; i < Count; i++)
        {
            UInt128[] on = i % 2 == 0 ? p0 : p1;
            one[0] = new Transfer { Id = (UInt128)(60_000 + i), DebitAccountId = on[0], CreditAccountId = on[1], Amount = 1, Ledger = 1, Code = 1 };
            var completion = new ReceiptCompletion();
            Assert.True(_a.Forwarder.TryForward(in node, (ushort)CommandKind.CreateTransfers, MemoryMarshal.AsBytes(one.AsSpan()), 1, completion));
            pending.Add(completion.Done);
        }
        foreach (var done in pending)
        {
            (ResultCode code, long logIndex) = await done.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(ResultCode.Ok, code);
            Assert.True(logIndex > 0, $"a forwarded transfer acknowledged with log index {logIndex}");
        }
        Assert.Equal(0, _a.Forwarder.Failures);
    }

    [Fact]
    public async Task The_SDK_on_one_node_moves_money_on_both_partitions_with_coalesced_single_transfers()
    {
        UInt128[] p0 = IdsOn(0, 2, from: 1000), p1 = IdsOn(1, 2, from: 1000);
        await using (RawClient admin = await LogonAsync(_a)) PartitionedSetup.AllOk(await admin.CreateAccountsAsync(1, [.. p0, .. p1]), 4);

        await using WalletClient client = await WalletClient.ConnectAsync(new WalletClientOptions
        {
            Host = "127.0.0.1", Port = _b.Gateway.LocalEndPoint.Port, ClientId = "admin", Credential = GatewayFixture.AdminPassword, RequestTimeoutMs = 30_000,
        });
        // Many callers at once: the SDK coalesces their transfers into messages that mix both partitions.
        const int Callers = 64;
        var calls = new Task<ResultCode>[Callers];
        for (int i = 0; i < Callers; i++)
        {
            UInt128[] on = i % 2 == 0 ? p0 : p1;
            var t = new Transfer { Id = 5000 + (ulong)i, DebitAccountId = on[0], CreditAccountId = on[1], Amount = 1 + i, Ledger = 1, Code = 1 };
            calls[i] = client.CreateTransferAsync(t);
        }
        ResultCode[] codes = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(codes, c => Assert.Equal(ResultCode.Ok, c));
        Account[] accounts = await client.LookupAccountsAsync(new[] { p0[0], p1[0] });
        long even = 0, odd = 0;
        for (int i = 0; i < Callers; i++)
        {
            if (i % 2 == 0) even += 1 + i;
            else odd += 1 + i;
        }
        Assert.Equal((p0[0], even), (accounts[0].Id, accounts[0].DebitsPosted));
        Assert.Equal((p1[0], odd), (accounts[1].Id, accounts[1].DebitsPosted));
        Assert.True(_b.Forwarder.Forwarded > 0);
    }

    [Fact]
    public async Task A_peer_session_is_never_forwarded_again_and_may_send_only_the_forwarded_requests()
    {
        UInt128[] p1 = IdsOn(1, 1, from: 2000);
        await using RawClient peer = await LogonAsync(_a, PeerUser, PeerPassword);
        // A's view: partition 1 is B's. A peer's request for it is answered as for any client without forwarding.
        await peer.SendMessageAsync(RawClient.CreateAccounts(10, 1, p1));
        var redirect = (await peer.ExpectAsync(RedirectDecoder.TemplateId)).AsRedirect();
        Assert.Equal((10UL, (ushort)_b.Gateway.LocalEndPoint.Port), (redirect.CorrelationId, redirect.Port));
        Assert.Equal(0, _a.Forwarder.Forwarded);

        // Admin rights for the forwarded kinds (the forwarding node checked its own client's), nothing else.
        UInt128[] p0 = IdsOn(0, 2, from: 2000);
        PartitionedSetup.AllOk(await peer.CreateAccountsAsync(1, p0), 2);
        PartitionedSetup.AllOk(await peer.CreateTransfersAsync(new TransferSpec(20, p0[0], p0[1], 3)), 1);
        Assert.Equal(2, (await peer.LookupAccountsAsync(p0)).Count);
        await peer.SendMessageAsync(RawClient.LookupTransfers(11, 20));
        var reject = (await peer.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal((11UL, RejectReason.Unauthorized), (reject.CorrelationId, reject.Reason));
        Assert.Contains("peer role", reject.Text, StringComparison.Ordinal);

        // PeerLookupTransfers: one partition, answered only where it is led (else Redirect: the peer's link follows it).
        await peer.SendMessageAsync(RawClient.PeerLookupTransfers(12, 0, 20, 21));
        var found = (await peer.ExpectAsync(TransfersFoundDecoder.TemplateId)).AsTransfersFound();
        Assert.Equal((12UL, (UInt128)20), (found.CorrelationId, Assert.Single(found.Transfers).Id));
        await peer.SendMessageAsync(RawClient.PeerLookupTransfers(13, 1, 20));
        Assert.Equal((13UL, (ushort)_b.Gateway.LocalEndPoint.Port), ((await peer.ExpectAsync(RedirectDecoder.TemplateId)).AsRedirect() is var r ? (r.CorrelationId, r.Port) : default));
        await peer.SendMessageAsync(RawClient.PeerLookupTransfers(14, 7, 20));
        Assert.Equal((14UL, RejectReason.InvalidField), ((await peer.ExpectAsync(RejectDecoder.TemplateId)).AsReject() is var bad ? (bad.CorrelationId, bad.Reason) : default));

        // Only a peer may send it.
        await using RawClient admin = await LogonAsync(_a);
        await admin.SendMessageAsync(RawClient.PeerLookupTransfers(15, 0, 20));
        var refused = (await admin.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal((15UL, RejectReason.Unauthorized), (refused.CorrelationId, refused.Reason));
    }

    [Fact]
    public async Task When_one_node_leads_everything_clients_are_redirected_there_rather_than_forwarded()
    {
        _a.Router.LeadsNothing = true; // B leads both partitions, as A sees it
        await using RawClient onA = await LogonAsyncLeadingNothing();
        UInt128[] p0 = IdsOn(0, 1, from: 3000), p1 = IdsOn(1, 1, from: 3000);
        await onA.SendMessageAsync(RawClient.CreateAccounts(30, 1, p0[0], p1[0]));
        var redirect = (await onA.ExpectAsync(RedirectDecoder.TemplateId)).AsRedirect();
        Assert.Equal((30UL, (ushort)_b.Gateway.LocalEndPoint.Port), (redirect.CorrelationId, redirect.Port));
        await onA.SendMessageAsync(RawClient.CreateAccounts(31, 1, p1[0]));
        Assert.Equal(31UL, (await onA.ExpectAsync(RedirectDecoder.TemplateId)).AsRedirect().CorrelationId);
        Assert.Equal(0, _a.Forwarder.Forwarded);

        async Task<RawClient> LogonAsyncLeadingNothing()
        {
            // A node that leads no partition sends clients away at logon; log on while it still leads one.
            _a.Router.LeadsNothing = false;
            RawClient c = await LogonAsync(_a);
            _a.Router.LeadsNothing = true;
            return c;
        }
    }

    [Fact]
    public async Task A_node_that_cannot_be_reached_leaves_its_items_not_applied()
    {
        await using RawClient onA = await LogonAsync(_a);
        UInt128[] p0 = IdsOn(0, 2, from: 4000), p1 = IdsOn(1, 1, from: 4000);
        _a.Router.Other = ClosedPort();
        CreateResultsView r = await onA.CreateAccountsAsync(1, p0[0], p1[0], p0[1]);
        Assert.Equal([(0u, (uint)ResultCode.Ok), (1u, (uint)ResultCode.PartitionUnavailable), (2u, (uint)ResultCode.Ok)], r.Results);
        // Wholly on the unreachable node: every item not applied (safe to resubmit).
        r = await onA.CreateAccountsAsync(1, p1[0]);
        Assert.Equal([(0u, (uint)ResultCode.PartitionUnavailable)], r.Results);
        Assert.True(_a.Forwarder.Failures >= 2);

        // Reachable again: the resubmission applies.
        _a.Router.Other = _b.Gateway.LocalEndPoint.Port;
        await Task.Delay(ForwardLink.ReconnectBackoffMs + 50);
        PartitionedSetup.AllOk(await onA.CreateAccountsAsync(1, p1[0]), 1);
    }

    [Fact]
    public async Task A_forwarded_request_left_unanswered_hands_the_whole_request_back()
    {
        // A third "node" whose partitions take every command and never answer (a leader that hangs).
        await using var silent = new Node(Path.Combine(_dir.Path, "silent"), leads: 1, RequestTimeoutMs: 10_000);
        silent.Router.BlackHole = true;
        await using var impatient = new Node(Path.Combine(_dir.Path, "impatient"), leads: 0, RequestTimeoutMs: 500);
        impatient.Router.Other = silent.Gateway.LocalEndPoint.Port;

        await using RawClient client = await LogonAsync(impatient);
        UInt128[] p0 = IdsOn(0, 1, from: 5000), p1 = IdsOn(1, 1, from: 5000);
        await client.SendMessageAsync(RawClient.CreateAccounts(50, 1, p0[0], p1[0]));
        // Outcome unknown for partition 1's item: the client is sent to its leader to resubmit the whole request.
        var redirect = (await client.ExpectAsync(RedirectDecoder.TemplateId, TimeSpan.FromSeconds(20))).AsRedirect();
        Assert.Equal((50UL, (ushort)silent.Gateway.LocalEndPoint.Port), (redirect.CorrelationId, redirect.Port));
    }

    [Fact]
    public void The_peer_role_carries_no_debit_grant_and_is_not_for_FIX_partners()
    {
        string h = PasswordHasher.Hash("pw", PasswordHasher.MinIterations);
        var ex = Assert.Throws<ArgumentException>(() => new UserDirectory([new UserDefinition("gw", h, Role.Peer, ["1-9"])]));
        Assert.Contains("Users:gw:DebitAccounts", ex.Message, StringComparison.Ordinal);
        Assert.Contains("peer role", ex.Message, StringComparison.Ordinal);
        var fix = Assert.Throws<ArgumentException>(() => new Wallet.Gateway.Fix.FixPartnerDirectory([
            new Wallet.Gateway.Fix.FixPartner("GW", "WALLET", "gw", h, Role.Peer, [])]));
        Assert.Contains("peer role", fix.Message, StringComparison.Ordinal);
        UserPrincipal peer = new UserDirectory([new UserDefinition("gw", h, Role.Peer, [])]).Authenticate("gw"u8, "pw"u8)!;
        Assert.True(peer.IsPeer && peer.ActsAsAdmin && peer.MayDebit(123) && !peer.IsAdmin && !peer.IsSystem);
    }

    [Fact]
    public async Task HTTP_refuses_a_peer_user_everywhere()
    {
        await using Http.HttpFixture f = await Http.HttpFixture.StartAsync();
        const string peer = PeerUser + ":" + PeerPassword;
        await Http.HttpFixture.ProblemAsync(await f.GetAsync("/v1/accounts/100", peer), 403, "Unauthorized");
        await Http.HttpFixture.ProblemAsync(await f.PostAsync("/v1/accounts", """{"id":"100","currency":"USD"}""", peer), 403, "Unauthorized");
        Assert.Equal(0, f.Server.Partition.AppliedIndex);
    }

    private static int ClosedPort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }
}
