using Wallet.Engine.Partition;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Tests.Support;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Tests;

/// <summary>
/// Under consensus only the leader's gateway serves clients: a follower sends them to the leader with Redirect (or
/// Busy while no leader is known), at logon and for any request, and nothing is applied on the way.
/// </summary>
public sealed class LeadershipTests
{
    /// <summary>Routes to the fixture's partition but reports whatever leadership the test sets.</summary>
    private sealed class SwitchableRouter(PartitionEngine partition) : IRequestRouter
    {
        private readonly SinglePartitionRouter _inner = new(partition);
        public volatile bool RefuseSubmit;
        public LeaderInfo Leader = LeaderInfo.Local;

        public int PartitionCount => 1;
        public int PartitionOf(UInt128 accountId) => 0;
        public SubmitStatus Submit(int partition, ushort kind, long correlationId, long sessionId, ReadOnlySpan<byte> payload) =>
            RefuseSubmit ? SubmitStatus.NotLeader : _inner.Submit(partition, kind, correlationId, sessionId, payload);
        public LeaderInfo LeaderOf(int partition) => Leader;
    }

    private static (GatewayFixture Fixture, SwitchableRouter Router) Start()
    {
        // A long close linger: the Logout of a session ended by the gateway is written by a pool thread, which a loaded
        // runner (every test assembly at once) can delay past the default 500 ms — the socket would then be cut first.
        GatewayFixture g = GatewayFixture.Start(o => new GatewayOptions
        {
            Port = 0, HeartbeatIntervalMs = 1000, MinHeartbeatIntervalMs = 20, LogonTimeoutMs = 5000, CloseLingerMs = 10_000,
        });
        var router = new SwitchableRouter(g.Partition);
        g.Gateway.Context.Router = router;
        return (g, router);
    }

    [Fact]
    public async Task A_follower_redirects_logon_to_the_leader_and_answers_busy_during_an_election()
    {
        (GatewayFixture g, SwitchableRouter router) = Start();
        await using (g)
        {
            router.Leader = LeaderInfo.Remote("127.0.0.1", 9102, term: 7);
            await using RawClient c = await g.ConnectAsync();
            await c.SendMessageAsync(RawClient.Logon(1, "alice", GatewayFixture.ClientPassword));
            var redirect = (await c.ExpectAsync(RedirectDecoder.TemplateId)).AsRedirect();
            Assert.Equal((1UL, "127.0.0.1", (ushort)9102, 7L), redirect);

            router.Leader = LeaderInfo.Unknown(term: 8);
            await c.SendMessageAsync(RawClient.Logon(2, "alice", GatewayFixture.ClientPassword));
            Assert.Equal(2UL, (await c.ExpectAsync(BusyDecoder.TemplateId)).AsBusy().CorrelationId);

            // Once this node leads, the same session logs on.
            router.Leader = LeaderInfo.Local;
            await c.LogonAsync("alice", GatewayFixture.ClientPassword);
        }
    }

    [Fact]
    public async Task A_request_this_node_cannot_sequence_is_redirected_and_nothing_is_applied()
    {
        (GatewayFixture g, SwitchableRouter router) = Start();
        await using (g)
        {
            await using RawClient admin = await g.AdminAsync();
            router.RefuseSubmit = true;
            router.Leader = LeaderInfo.Remote("10.0.0.2", 9100, term: 3);
            await admin.SendMessageAsync(RawClient.CreateAccounts(77, 1, 500));
            Assert.Equal((77UL, "10.0.0.2", (ushort)9100, 3L), (await admin.ExpectAsync(RedirectDecoder.TemplateId)).AsRedirect());

            // The in-flight slot was released and the account does not exist.
            router.RefuseSubmit = false;
            router.Leader = LeaderInfo.Local;
            Assert.Empty(await admin.LookupAccountsAsync(500));
        }
    }

    [Fact]
    public async Task A_request_refused_by_consensus_after_queueing_comes_back_as_redirect()
    {
        (GatewayFixture g, SwitchableRouter router) = Start();
        await using (g)
        {
            await using RawClient admin = await g.ConnectAsync();
            ulong sessionId = (await admin.LogonAsync("admin", GatewayFixture.AdminPassword)).SessionId;
            router.Leader = LeaderInfo.Remote("127.0.0.1", 9200, term: 4);
            // The consensus module hands the command back as NotLeader (it lost the leadership with it queued):
            // the BLP answers that kind empty, and the gateway turns it into a Redirect.
            Assert.Equal(SubmitStatus.Accepted, g.Partition.TrySubmit(QueryKind.NotLeader, 91, (long)sessionId, []));
            Assert.Equal((91UL, "127.0.0.1", (ushort)9200, 4L), (await admin.ExpectAsync(RedirectDecoder.TemplateId)).AsRedirect());
        }
    }

    /// <summary>Partitions of this node led from different nodes (partition 0 here, partition 1 elsewhere).</summary>
    private sealed class PerPartitionLeaders(PartitionEngine partition) : IRequestRouter
    {
        private readonly SinglePartitionRouter _inner = new(partition);
        public int PartitionCount => 2;
        public int PartitionOf(UInt128 accountId) => 0;
        public SubmitStatus Submit(int partition, ushort kind, long correlationId, long sessionId, ReadOnlySpan<byte> payload) =>
            _inner.Submit(0, kind, correlationId, sessionId, payload);
        public LeaderInfo LeaderOf(int partition) => partition == 1 ? LeaderInfo.Remote("127.0.0.1", 9301, term: 6) : LeaderInfo.Local;
    }

    [Fact]
    public async Task A_request_refused_by_consensus_is_redirected_to_the_leader_of_the_partition_that_answered()
    {
        // The engine answers as partition 1 of its node; partition 0 is led here. The redirect must name partition 1's
        // leader (it once named partition 0's, so the client landed on a node that redirected it again).
        GatewayFixture g = GatewayFixture.Start(
            o => new GatewayOptions { Port = 0, HeartbeatIntervalMs = 1000, MinHeartbeatIntervalMs = 20, LogonTimeoutMs = 5000, CloseLingerMs = 10_000 },
            p => new PartitionOptions
            {
                DataDirectory = p.DataDirectory, Ledger = p.Ledger, MaxCommandBytes = p.MaxCommandBytes, JournalSegmentSizeBytes = p.JournalSegmentSizeBytes,
                Fsync = p.Fsync, IngressRingSize = p.IngressRingSize, EgressRingSize = p.EgressRingSize, PartitionId = 1,
            });
        await using (g)
        {
            g.Gateway.Context.Router = new PerPartitionLeaders(g.Partition);
            await using RawClient admin = await g.ConnectAsync();
            ulong sessionId = (await admin.LogonAsync("admin", GatewayFixture.AdminPassword)).SessionId;
            Assert.Equal(SubmitStatus.Accepted, g.Partition.TrySubmit(QueryKind.NotLeader, 92, (long)sessionId, []));
            Assert.Equal((92UL, "127.0.0.1", (ushort)9301, 6L), (await admin.ExpectAsync(RedirectDecoder.TemplateId)).AsRedirect());
        }
    }

    [Fact]
    public async Task A_request_refused_by_consensus_with_no_leader_known_ends_the_session_so_the_client_resubmits()
    {
        (GatewayFixture g, SwitchableRouter router) = Start();
        await using (g)
        {
            await using RawClient admin = await g.ConnectAsync();
            ulong sessionId = (await admin.LogonAsync("admin", GatewayFixture.AdminPassword)).SessionId;
            router.Leader = LeaderInfo.Unknown(term: 9);
            // Its outcome is unknown (it may commit under the next leader): not Busy, which would promise nothing was
            // queued, but the end of the session — a client reconnects and resubmits with the same ids.
            Assert.Equal(SubmitStatus.Accepted, g.Partition.TrySubmit(QueryKind.NotLeader, 92, (long)sessionId, []));
            var seen = new List<Frame>();
            Assert.True(await admin.WaitClosedAsync(seen, TimeSpan.FromSeconds(5)));
            Assert.DoesNotContain(seen, f => f.TemplateId == BusyDecoder.TemplateId);
            Assert.Contains("leadership lost", Assert.Single(seen, f => f.TemplateId == LogoutDecoder.TemplateId).AsLogout(), StringComparison.Ordinal);
        }
    }
}
