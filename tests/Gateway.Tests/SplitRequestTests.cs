using System.Collections.Concurrent;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Tcp;
using Wallet.Gateway.Tests.Support;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Tests;

/// <summary>
/// A request whose items live on several partitions is split by the gateway into one command per partition (plus one
/// saga per cross-partition transfer) and answered once, in item order, as if one partition had answered. Linked chains
/// stay whole; a part refused after another was taken answers its items <see cref="ResultCode.PartitionUnavailable"/>;
/// a part handed back by consensus turns the whole request into a NotLeader answer.
/// </summary>
public sealed class SplitRequestTests : IAsyncLifetime
{
    private const int Partitions = 3;
    private static readonly PartitionMap s_map = PartitionMap.Uniform(Partitions);
    private readonly TempDirectory _dir = new("split");
    private readonly GatewayServer _gateway;
    private readonly PartitionEngine[] _partitions;
    private readonly SteerableRouter _router;

    public SplitRequestTests()
    {
        _gateway = new GatewayServer(GatewayFixture.DefaultGateway(), new UserDirectory(GatewayFixture.Users));
        _partitions = PartitionedSetup.StartPartitions(_gateway, _dir.Path, Partitions);
        _router = new SteerableRouter(new PartitionedRouter(_partitions, s_map), _gateway);
        _gateway.Start(_router);
    }

    /// <summary>The partitioned router, plus what a test steers: a partition that answers Busy, one whose part consensus hands back, a coordinator.</summary>
    private sealed class SteerableRouter(PartitionedRouter inner, GatewayServer gateway) : IRequestRouter
    {
        public volatile int BusyPartition = -1;
        public volatile int FullPartition = -1;
        public volatile int HandBackPartition = -1;
        public volatile bool HandedBack;
        public ICrossPartitionTransfers Cross { get; set; } = RefuseCrossPartitionTransfers.Instance;

        public int PartitionCount => inner.PartitionCount;

        public int PartitionOf(UInt128 accountId) => inner.PartitionOf(accountId);

        public ICrossPartitionTransfers CrossPartition => Cross;

        public bool HasRoom(int partition) => partition != FullPartition;

        /// <summary>Partitions this node does not lead (as consensus would report them).</summary>
        public readonly ConcurrentDictionary<int, LeaderInfo> Leaders = new();

        public LeaderInfo LeaderOf(int partition) =>
            HandedBack && partition == HandBackPartition ? LeaderInfo.Remote("127.0.0.1", 7777, 2)
            : Leaders.TryGetValue(partition, out LeaderInfo leader) ? leader : LeaderInfo.Local;

        public SubmitStatus Submit(int partition, ushort kind, long correlationId, long sessionId, ReadOnlySpan<byte> payload)
        {
            if (partition == BusyPartition) return SubmitStatus.Busy;
            if (partition == HandBackPartition)
            {
                // Consensus took the part, then lost the leadership: its answer is "handed back", outcome unknown.
                HandedBack = true;
                var slot = new ResultSlot
                {
                    Kind = QueryKind.NotLeader, Partition = partition, CorrelationId = correlationId, SessionId = sessionId, Results = [], Payload = [],
                };
                gateway.ResultHandler.OnResult(ref slot, endOfBatch: true);
                return SubmitStatus.Accepted;
            }
            return inner.Submit(partition, kind, correlationId, sessionId, payload);
        }
    }

    /// <summary>A coordinator double: takes cross-partition transfers and completes them when a test says so.</summary>
    private sealed class RecordingCoordinator : ICrossPartitionTransfers
    {
        public readonly ConcurrentQueue<(Transfer Transfer, long CorrelationId, ICrossPartitionCompletion Completion)> Taken = new();
        public CrossPartitionSubmit Status = CrossPartitionSubmit.Accepted;

        public bool Enabled => true;

        public CrossPartitionSubmit TrySubmit(in Transfer transfer, long correlationId, ICrossPartitionCompletion completion)
        {
            if (Status == CrossPartitionSubmit.Accepted) Taken.Enqueue((transfer, correlationId, completion));
            return Status;
        }
    }

    /// <summary>A coordinator double that takes batches (all or none) and completes each transfer by its position when told.</summary>
    private sealed class BatchCoordinator : ICrossPartitionTransfers
    {
        public readonly ConcurrentQueue<(Transfer[] Transfers, ICrossPartitionBatchCompletion Completion)> Batches = new();
        public int Singles;
        public CrossPartitionSubmit Status = CrossPartitionSubmit.Accepted;

        public bool Enabled => true;

        public CrossPartitionSubmit TrySubmit(in Transfer transfer, long correlationId, ICrossPartitionCompletion completion)
        {
            Interlocked.Increment(ref Singles);
            return CrossPartitionSubmit.Busy;
        }

        public CrossPartitionSubmit TrySubmit(ReadOnlySpan<Transfer> transfers, long correlationId, ICrossPartitionBatchCompletion completion)
        {
            if (Status == CrossPartitionSubmit.Accepted) Batches.Enqueue((transfers.ToArray(), completion));
            return Status;
        }
    }

    private static UInt128[] IdsOn(int partition, int count, ulong from = 100) => PartitionedSetup.IdsOn(s_map, partition, count, from);

    private async Task<RawClient> AdminAsync()
    {
        RawClient c = await RawClient.ConnectAsync(_gateway.LocalEndPoint);
        // A long heartbeat: these sessions send nothing while they wait, and a loaded machine must not idle them out.
        await c.LogonAsync("admin", GatewayFixture.AdminPassword, heartbeatIntervalMs: 10_000);
        return c;
    }

    [Fact]
    public async Task Accounts_of_several_partitions_in_one_request_are_created_each_on_its_own_partition()
    {
        await using RawClient admin = await AdminAsync();
        UInt128[] p0 = IdsOn(0, 2), p1 = IdsOn(1, 2), p2 = IdsOn(2, 1);
        UInt128[] mixed = [p1[0], p0[0], p2[0], p0[1], p1[1]];
        CreateResultsView created = await admin.CreateAccountsAsync(1, mixed);
        PartitionedSetup.AllOk(created, mixed.Length);
        Assert.Equal(0, created.LogIndex); // no single partition's log decides a split request

        // Each partition applied exactly one command (its part) and holds only its own accounts.
        Assert.All(_partitions, p => Assert.Equal(1, p.AppliedIndex));
        List<AccountView> found = await admin.LookupAccountsAsync(mixed);
        Assert.Equal(mixed, found.Select(a => a.Id));

        // A repeat answers Exists for every item, at its own index.
        CreateResultsView again = await admin.CreateAccountsAsync(1, mixed);
        Assert.Equal(Enumerable.Range(0, mixed.Length).Select(i => ((uint)i, (uint)ResultCode.Exists)), again.Results);
    }

    [Fact]
    public async Task Transfers_of_several_partitions_each_get_their_own_outcome_at_their_own_index()
    {
        await using RawClient admin = await AdminAsync();
        UInt128[] p0 = IdsOn(0, 2), p1 = IdsOn(1, 2), p2 = IdsOn(2, 2);
        await admin.CreateAccountsAsync(1, [.. p0, .. p1, .. p2]);
        UInt128 missingOnP1 = IdsOn(1, 1, from: 50_000)[0];
        CreateResultsView r = await admin.CreateTransfersAsync(
            new TransferSpec(1, p0[0], p0[1], 10),
            new TransferSpec(2, p1[0], p1[1], 20),
            new TransferSpec(3, missingOnP1, p1[1], 30), // fails on its partition, alone
            new TransferSpec(4, p2[0], p2[1], 40),
            new TransferSpec(5, p0[1], p0[0], 3));
        Assert.Equal(
            [(0u, (uint)ResultCode.Ok), (1u, (uint)ResultCode.Ok), (2u, (uint)ResultCode.DebitAccountNotFound), (3u, (uint)ResultCode.Ok), (4u, (uint)ResultCode.Ok)],
            r.Results);
        Assert.True(r.TimestampNs > 0);
        List<AccountView> accounts = await admin.LookupAccountsAsync(p0[1], p1[1], p2[1]);
        Assert.Equal([7L, 20L, 40L], accounts.Select(a => a.CreditsPosted - a.DebitsPosted));
        Assert.Equal([(UInt128)1, 2, 4, 5], (await admin.LookupTransfersAsync(1, 2, 3, 4, 5)).Select(t => t.Id));
    }

    [Fact]
    public async Task A_lookup_over_several_partitions_answers_in_request_order_with_repeats_and_without_unknown_ids()
    {
        await using RawClient admin = await AdminAsync();
        UInt128[] p0 = IdsOn(0, 2), p1 = IdsOn(1, 1), p2 = IdsOn(2, 1);
        await admin.CreateAccountsAsync(1, [.. p0, .. p1, .. p2]);
        UInt128 unknown = IdsOn(1, 1, from: 70_000)[0];
        List<AccountView> found = await admin.LookupAccountsAsync(p2[0], p0[1], unknown, p1[0], p0[0], p2[0]);
        Assert.Equal([p2[0], p0[1], p1[0], p0[0], p2[0]], found.Select(a => a.Id));
    }

    [Fact]
    public async Task Accounts_of_several_partitions_are_closed_in_one_request()
    {
        await using RawClient admin = await AdminAsync();
        UInt128[] p0 = IdsOn(0, 1), p1 = IdsOn(1, 1), p2 = IdsOn(2, 1);
        await admin.CreateAccountsAsync(1, [.. p0, .. p1]);
        ulong c = admin.NextCorrelation();
        await admin.SendMessageAsync(RawClient.CloseAccounts(c, p1[0], p2[0], p0[0]));
        CreateResultsView r = (await admin.ExpectAsync(CreateResultsDecoder.TemplateId)).AsCreateResults();
        Assert.Equal(c, r.CorrelationId);
        Assert.Equal([(0u, (uint)ResultCode.Ok), (1u, (uint)ResultCode.AccountNotFound), (2u, (uint)ResultCode.Ok)], r.Results);
    }

    [Fact]
    public async Task A_linked_chain_over_two_partitions_is_refused_whole_and_a_chain_on_one_partition_stays_atomic()
    {
        await using RawClient admin = await AdminAsync();
        UInt128[] p0 = IdsOn(0, 2), p1 = IdsOn(1, 2);
        await admin.CreateAccountsAsync(1, [.. p0, .. p1]);
        const ushort Linked = (ushort)TransferFlags.Linked;

        long[] appliedBefore = [.. _partitions.Select(p => p.AppliedIndex)];
        await admin.SendMessageAsync(RawClient.CreateTransfers(91, new TransferSpec(10, p0[0], p0[1], 5, Linked), new TransferSpec(11, p1[0], p1[1], 5)));
        var reject = (await admin.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal((91UL, RejectReason.InvalidField), (reject.CorrelationId, reject.Reason));
        Assert.Contains("linked chain", reject.Text, StringComparison.Ordinal);
        Assert.Empty(await admin.LookupTransfersAsync(10, 11));
        Assert.Equal(appliedBefore, _partitions.Select(p => p.AppliedIndex)); // nothing was queued anywhere
        Assert.Equal(0, (await admin.LookupAccountsAsync(p1[1])).Single().CreditsPosted);

        // A chain inside one partition, next to another partition's item: the chain fails as one, the other applies.
        CreateResultsView r = await admin.CreateTransfersAsync(
            new TransferSpec(20, p1[0], p1[1], 7),
            new TransferSpec(21, p0[0], p0[1], 5, Linked),
            new TransferSpec(22, p0[0], p0[1], 0)); // amount 0: fails, so the whole chain fails
        Assert.Equal(
            [(0u, (uint)ResultCode.Ok), (1u, (uint)ResultCode.LinkedEventFailed), (2u, (uint)ResultCode.AmountMustNotBeZero)],
            r.Results);
        Assert.Equal([(UInt128)20], (await admin.LookupTransfersAsync(20, 21, 22)).Select(t => t.Id));
    }

    [Fact]
    public async Task Cross_partition_transfers_inside_a_batch_go_to_the_coordinator_and_their_outcomes_join_the_answer()
    {
        var coordinator = new RecordingCoordinator();
        _router.Cross = coordinator;
        await using RawClient admin = await AdminAsync();
        UInt128[] p0 = IdsOn(0, 2), p1 = IdsOn(1, 2);
        await admin.CreateAccountsAsync(1, [.. p0, .. p1]);

        await admin.SendMessageAsync(RawClient.CreateTransfers(55,
            new TransferSpec(30, p0[0], p1[0], 9),   // across: to the coordinator
            new TransferSpec(31, p1[0], p1[1], 4),
            new TransferSpec(32, p1[1], p0[1], 2))); // across
        var taken = new List<(Transfer Transfer, long CorrelationId, ICrossPartitionCompletion Completion)>();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while (taken.Count < 2)
            {
                if (coordinator.Taken.TryDequeue(out var t)) taken.Add(t);
                else await Task.Delay(10, cts.Token);
            }
        }
        Assert.Equal([(UInt128)30, 32], taken.Select(t => t.Transfer.Id));
        // The answer waits for the coordinator's outcomes (the partition part is long done).
        await Assert.ThrowsAsync<TimeoutException>(() => admin.ReadAsync(TimeSpan.FromMilliseconds(200)));
        await Task.Run(() => taken[1].Completion.OnCompleted(taken[1].CorrelationId, ResultCode.CreditAccountNotFound, 1_800_000_000_000_000_000));
        taken[0].Completion.OnCompleted(taken[0].CorrelationId, ResultCode.Ok, 5);
        CreateResultsView r = (await admin.ExpectAsync(CreateResultsDecoder.TemplateId)).AsCreateResults();
        Assert.Equal(55UL, r.CorrelationId);
        Assert.Equal([(0u, (uint)ResultCode.Ok), (1u, (uint)ResultCode.Ok), (2u, (uint)ResultCode.CreditAccountNotFound)], r.Results);
        Assert.Equal(1_800_000_000_000_000_000, r.TimestampNs);
    }

    [Fact]
    public async Task Several_cross_partition_transfers_of_a_request_are_offered_as_one_batch_all_or_none()
    {
        var coordinator = new BatchCoordinator();
        _router.Cross = coordinator;
        await using RawClient admin = await AdminAsync();
        UInt128[] p0 = IdsOn(0, 2), p1 = IdsOn(1, 2), p2 = IdsOn(2, 1);
        await admin.CreateAccountsAsync(1, [.. p0, .. p1, .. p2]);

        await admin.SendMessageAsync(RawClient.CreateTransfers(56,
            new TransferSpec(33, p0[0], p1[0], 1),  // across
            new TransferSpec(34, p1[0], p1[1], 4),
            new TransferSpec(35, p2[0], p0[1], 2),  // across
            new TransferSpec(36, p1[1], p2[0], 3))); // across
        (Transfer[] transfers, ICrossPartitionBatchCompletion completion) = await NextBatchAsync(coordinator);
        Assert.Equal([(UInt128)33, 35, 36], transfers.Select(t => t.Id));
        Assert.Equal(0, coordinator.Singles);
        // Completed out of order, from other threads: each outcome lands at its own item.
        await Task.Run(() => completion.OnCompleted(2, ResultCode.ExceedsCredits, 30));
        await Task.Run(() => completion.OnCompleted(0, ResultCode.Ok, 10));
        await Assert.ThrowsAsync<TimeoutException>(() => admin.ReadAsync(TimeSpan.FromMilliseconds(100)));
        completion.OnCompleted(1, ResultCode.CreditAccountClosed, 20);
        CreateResultsView r = (await admin.ExpectAsync(CreateResultsDecoder.TemplateId)).AsCreateResults();
        Assert.Equal(
            [(0u, (uint)ResultCode.Ok), (1u, (uint)ResultCode.Ok), (2u, (uint)ResultCode.CreditAccountClosed), (3u, (uint)ResultCode.ExceedsCredits)],
            r.Results);
        Assert.True(r.TimestampNs >= 30, "the newest of the parts' and outcomes' times");

        // The batch refused after the partition part was taken: the part stands, every cross item is PartitionUnavailable.
        coordinator.Status = CrossPartitionSubmit.Busy;
        CreateResultsView refused = await admin.CreateTransfersAsync(
            new TransferSpec(37, p0[0], p0[1], 1), new TransferSpec(38, p0[0], p1[0], 1), new TransferSpec(39, p1[0], p2[0], 1));
        Assert.Equal([(0u, (uint)ResultCode.Ok), (1u, (uint)ResultCode.PartitionUnavailable), (2u, (uint)ResultCode.PartitionUnavailable)], refused.Results);

        // Only cross-partition items, refused: nothing taken, the whole request is Busy.
        await admin.SendMessageAsync(RawClient.CreateTransfers(58, new TransferSpec(40, p0[0], p1[0], 1), new TransferSpec(41, p1[0], p2[0], 1)));
        Assert.Equal(58UL, (await admin.ExpectAsync(BusyDecoder.TemplateId)).AsBusy().CorrelationId);
        Assert.Equal([(UInt128)34, 37], (await admin.LookupTransfersAsync(33, 34, 35, 36, 37, 38, 39, 40, 41)).Select(t => t.Id));
        Assert.Equal(0, coordinator.Singles);
    }

    private static async Task<(Transfer[], ICrossPartitionBatchCompletion)> NextBatchAsync(BatchCoordinator coordinator)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        (Transfer[], ICrossPartitionBatchCompletion) batch;
        while (!coordinator.Batches.TryDequeue(out batch)) await Task.Delay(10, cts.Token);
        return batch;
    }

    [Fact]
    public async Task With_no_coordinator_a_batch_holding_a_cross_partition_transfer_is_refused_whole()
    {
        await using RawClient admin = await AdminAsync();
        UInt128[] p0 = IdsOn(0, 2), p1 = IdsOn(1, 1);
        await admin.CreateAccountsAsync(1, [.. p0, .. p1]);
        await admin.SendMessageAsync(RawClient.CreateTransfers(61, new TransferSpec(40, p0[0], p0[1], 5), new TransferSpec(41, p0[0], p1[0], 5)));
        var reject = (await admin.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal((61UL, RejectReason.InvalidField), (reject.CorrelationId, reject.Reason));
        Assert.Contains("different partitions", reject.Text, StringComparison.Ordinal);
        Assert.Empty(await admin.LookupTransfersAsync(40, 41));
    }

    [Fact]
    public async Task A_busy_first_part_answers_Busy_with_nothing_applied_and_a_busy_later_part_answers_its_items_PartitionUnavailable()
    {
        await using RawClient admin = await AdminAsync();
        UInt128[] p0 = IdsOn(0, 2), p1 = IdsOn(1, 2);
        await admin.CreateAccountsAsync(1, [.. p0, .. p1]);

        // A partition whose ring is known to be full: the whole request is Busy before anything is offered.
        _router.FullPartition = 0;
        long[] before = [.. _partitions.Select(p => p.AppliedIndex)];
        await admin.SendMessageAsync(RawClient.CreateTransfers(70, new TransferSpec(49, p1[0], p1[1], 5), new TransferSpec(48, p0[0], p0[1], 6)));
        Assert.Equal(70UL, (await admin.ExpectAsync(BusyDecoder.TemplateId)).AsBusy().CorrelationId);
        Assert.Equal(before, _partitions.Select(p => p.AppliedIndex));
        _router.FullPartition = -1;

        // The first part (partition 1, the first item's) is refused: nothing was taken, the whole request is Busy.
        _router.BusyPartition = 1;
        await admin.SendMessageAsync(RawClient.CreateTransfers(71, new TransferSpec(50, p1[0], p1[1], 5), new TransferSpec(51, p0[0], p0[1], 6)));
        Assert.Equal(71UL, (await admin.ExpectAsync(BusyDecoder.TemplateId)).AsBusy().CorrelationId);
        _router.BusyPartition = -1; // (a transfer lookup asks every partition)
        Assert.Empty(await admin.LookupTransfersAsync(50, 51));

        // A later part is refused: the first stands, the refused items say so (not applied, resubmit).
        _router.BusyPartition = 1;
        await admin.SendMessageAsync(RawClient.CreateTransfers(72,
            new TransferSpec(52, p0[0], p0[1], 5), new TransferSpec(53, p1[0], p1[1], 6), new TransferSpec(54, p0[1], p0[0], 1), new TransferSpec(55, p1[1], p1[0], 2)));
        CreateResultsView r = (await admin.ExpectAsync(CreateResultsDecoder.TemplateId)).AsCreateResults();
        Assert.Equal(72UL, r.CorrelationId);
        Assert.Equal(
            [(0u, (uint)ResultCode.Ok), (1u, (uint)ResultCode.PartitionUnavailable), (2u, (uint)ResultCode.Ok), (3u, (uint)ResultCode.PartitionUnavailable)],
            r.Results);
        _router.BusyPartition = -1;
        Assert.Equal([(UInt128)52, 54], (await admin.LookupTransfersAsync(52, 53, 54, 55)).Select(t => t.Id));

        // The session's in-flight slots were all given back: resubmitting the refused items works.
        PartitionedSetup.AllOk(await admin.CreateTransfersAsync(new TransferSpec(53, p1[0], p1[1], 6), new TransferSpec(55, p1[1], p1[0], 2)), 2);
    }

    [Fact]
    public async Task A_part_handed_back_by_consensus_turns_the_whole_request_into_a_redirect()
    {
        await using RawClient admin = await AdminAsync();
        UInt128[] p0 = IdsOn(0, 2), p2 = IdsOn(2, 2);
        await admin.CreateAccountsAsync(1, [.. p0, .. p2]);
        _router.HandBackPartition = 2;
        await admin.SendMessageAsync(RawClient.CreateTransfers(81, new TransferSpec(60, p0[0], p0[1], 5), new TransferSpec(61, p2[0], p2[1], 6)));
        var redirect = (await admin.ExpectAsync(RedirectDecoder.TemplateId)).AsRedirect();
        Assert.Equal((81UL, "127.0.0.1", (ushort)7777), (redirect.CorrelationId, redirect.Host, redirect.Port));
    }

    [Fact]
    public async Task A_request_over_partitions_led_elsewhere_is_redirected_only_where_it_can_be_served_whole()
    {
        await using RawClient admin = await AdminAsync();
        UInt128[] p0 = IdsOn(0, 2), p1 = IdsOn(1, 2), p2 = IdsOn(2, 2);
        await admin.CreateAccountsAsync(1, [.. p0, .. p1, .. p2]);
        long[] before = [.. _partitions.Select(p => p.AppliedIndex)];
        TransferSpec[] mixed = [new(90, p0[0], p0[1], 1), new(91, p1[0], p1[1], 1)];

        // Partition 1 is led by another node, partition 0 here: no node can take the whole request, and a redirect
        // would only bounce the client between the two. Refused; the client sends one request per partition.
        _router.Leaders[1] = LeaderInfo.Remote("10.0.0.2", 7002, 3);
        await admin.SendMessageAsync(RawClient.CreateTransfers(95, mixed));
        var reject = (await admin.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal((95UL, RejectReason.InvalidField), (reject.CorrelationId, reject.Reason));
        Assert.Contains("led by different nodes", reject.Text, StringComparison.Ordinal);

        // Both led by the same other node: Redirect there.
        _router.Leaders[0] = LeaderInfo.Remote("10.0.0.2", 7002, 3);
        await admin.SendMessageAsync(RawClient.CreateTransfers(96, mixed));
        var redirect = (await admin.ExpectAsync(RedirectDecoder.TemplateId)).AsRedirect();
        Assert.Equal((96UL, "10.0.0.2", (ushort)7002), (redirect.CorrelationId, redirect.Host, redirect.Port));

        // Led by two different other nodes: refused as well.
        _router.Leaders[0] = LeaderInfo.Remote("10.0.0.3", 7003, 3);
        await admin.SendMessageAsync(RawClient.CreateTransfers(97, mixed));
        Assert.Equal(RejectReason.InvalidField, (await admin.ExpectAsync(RejectDecoder.TemplateId)).AsReject().Reason);

        // One partition in an election (no leader known): Busy, retry shortly.
        _router.Leaders[0] = LeaderInfo.Unknown(4);
        _router.Leaders.TryRemove(1, out _);
        await admin.SendMessageAsync(RawClient.CreateTransfers(98, mixed));
        Assert.Equal(98UL, (await admin.ExpectAsync(BusyDecoder.TemplateId)).AsBusy().CorrelationId);

        _router.Leaders.Clear();
        Assert.Equal(before, _partitions.Select(p => p.AppliedIndex));
        PartitionedSetup.AllOk(await admin.CreateTransfersAsync(mixed), 2);
    }

    /// <summary>Completes every cross-partition transfer at once with a code derived from its id (applies nothing).</summary>
    private sealed class InstantCoordinator : ICrossPartitionTransfers
    {
        public static ResultCode OutcomeOf(UInt128 id) => id % 3 == 0 ? ResultCode.ExceedsCredits : ResultCode.Ok;

        public bool Enabled => true;

        public CrossPartitionSubmit TrySubmit(in Transfer transfer, long correlationId, ICrossPartitionCompletion completion)
        {
            completion.OnCompleted(correlationId, OutcomeOf(transfer.Id), 1);
            return CrossPartitionSubmit.Accepted;
        }

        public CrossPartitionSubmit TrySubmit(ReadOnlySpan<Transfer> transfers, long correlationId, ICrossPartitionBatchCompletion completion)
        {
            for (int i = 0; i < transfers.Length; i++) completion.OnCompleted(i, OutcomeOf(transfers[i].Id), 1);
            return CrossPartitionSubmit.Accepted;
        }
    }

    [Fact]
    public async Task Random_requests_over_partitions_answer_every_item_once_and_agree_with_the_ledgers()
    {
        // Seeded: random item partitions, cross-partition items, linked chains, failing items and refused parts; the
        // invariant is that one answer comes per request and says exactly what the partitions applied.
        _router.Cross = new InstantCoordinator();
        await using RawClient admin = await AdminAsync();
        UInt128[][] accounts = [IdsOn(0, 3), IdsOn(1, 3), IdsOn(2, 3)];
        await admin.CreateAccountsAsync(1, [.. accounts[0], .. accounts[1], .. accounts[2]]);
        var random = new Random(20261127);
        ulong nextId = 1_000_000;
        int answered = 0, refusedWhole = 0, splitAnswers = 0;
        for (int r = 0; r < 250; r++)
        {
            int n = random.Next(1, 9);
            var items = new TransferSpec[n];
            var cross = new bool[n];
            for (int i = 0; i < n; i++)
            {
                int p = random.Next(Partitions);
                cross[i] = random.Next(5) == 0;
                int q = cross[i] ? (p + 1 + random.Next(Partitions - 1)) % Partitions : p;
                ushort flags = random.Next(7) == 0 ? (ushort)TransferFlags.Linked : (ushort)0;
                long amount = random.Next(10) == 0 ? 0 : 1 + random.Next(100); // amount 0 fails on its partition
                items[i] = new TransferSpec(nextId++, accounts[p][random.Next(3)], accounts[q][3 - 1 - random.Next(2)], amount, flags);
                if (items[i].Debit == items[i].Credit) items[i] = items[i] with { Credit = accounts[q][(Array.IndexOf(accounts[q], items[i].Debit) + 1) % 3] };
            }
            _router.BusyPartition = random.Next(8) == 0 ? random.Next(Partitions) : -1;
            ulong c = admin.NextCorrelation();
            await admin.SendMessageAsync(RawClient.CreateTransfers(c, items));
            Frame frame = await admin.ReadAsync() ?? throw new InvalidOperationException("session closed");
            _router.BusyPartition = -1;
            List<TransferView> stored = await admin.LookupTransfersAsync([.. items.Select(t => t.Id)]);
            var applied = stored.Select(t => t.Id).ToHashSet();
            if (frame.TemplateId != CreateResultsDecoder.TemplateId)
            {
                // Refused whole (a chain over partitions or a cross item in it, Busy): nothing applied anywhere.
                Assert.True(frame.TemplateId is RejectDecoder.TemplateId or BusyDecoder.TemplateId, $"request {r}: template {frame.TemplateId}");
                Assert.Empty(applied);
                refusedWhole++;
                continue;
            }
            CreateResultsView view = frame.AsCreateResults();
            Assert.Equal(c, view.CorrelationId);
            Assert.Equal(Enumerable.Range(0, n).Select(i => (uint)i), view.Results.Select(x => x.Index));
            if (view.LogIndex == 0 && n > 1) splitAnswers++;
            for (int i = 0; i < n; i++)
            {
                var code = (ResultCode)view.Results[i].Code;
                if (cross[i])
                {
                    Assert.True(code == InstantCoordinator.OutcomeOf(items[i].Id) || code == ResultCode.PartitionUnavailable, $"request {r} item {i}: {code}");
                    Assert.DoesNotContain(items[i].Id, applied); // the double applies nothing
                    continue;
                }
                // A same-partition item: reported Ok exactly when its partition stored it.
                Assert.True((code == ResultCode.Ok) == applied.Contains(items[i].Id), $"request {r} item {i}: {code}, stored {applied.Contains(items[i].Id)}");
            }
            answered++;
        }
        Assert.True(answered > 100 && refusedWhole > 10 && splitAnswers > 50, $"answered {answered}, refused whole {refusedWhole}, split {splitAnswers}");
    }

    [Fact]
    public async Task Sdk_single_transfers_coalesced_over_three_partitions_all_apply()
    {
        await using RawClient admin = await AdminAsync();
        UInt128[] accounts = [.. IdsOn(0, 4), .. IdsOn(1, 4), .. IdsOn(2, 4)];
        PartitionedSetup.AllOk(await admin.CreateAccountsAsync(1, accounts), accounts.Length);

        await using WalletClient client = await WalletClient.ConnectAsync(new WalletClientOptions
        {
            Host = "127.0.0.1", Port = _gateway.LocalEndPoint.Port, ClientId = "admin", Credential = GatewayFixture.AdminPassword,
        });
        // Many concurrent callers: the SDK packs them into shared messages, which mix partitions (same-partition pairs).
        const int Count = 3000;
        var calls = new Task<ResultCode>[Count];
        for (int i = 0; i < Count; i++)
        {
            int p = i % Partitions;
            UInt128 debit = accounts[p * 4 + (i / Partitions) % 4], credit = accounts[p * 4 + ((i / Partitions) + 1) % 4];
            calls[i] = client.CreateTransferAsync(new Transfer { Id = (UInt128)(100_000 + i), DebitAccountId = debit, CreditAccountId = credit, Amount = 1, Ledger = 1, Code = 1 });
        }
        ResultCode[] codes = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(codes, c => Assert.Equal(ResultCode.Ok, c));
        // Money moved inside each partition only: every partition's net is zero, and all 3000 transfers exist.
        List<AccountView> after = await admin.LookupAccountsAsync(accounts);
        for (int p = 0; p < Partitions; p++)
        {
            Assert.Equal(0, after.Skip(p * 4).Take(4).Sum(a => a.CreditsPosted - a.DebitsPosted));
            Assert.Equal(1000, after.Skip(p * 4).Take(4).Sum(a => a.DebitsPosted));
        }
        Assert.True(_gateway.SplitRequestsCompleted > 0, "the coalesced messages mixed partitions and were split");
    }

    // xunit 2 disposes a test class through IDisposable or IAsyncLifetime only, never IAsyncDisposable.
    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _gateway.StopIntake();
        foreach (PartitionEngine p in _partitions) p.Stop(TimeSpan.FromSeconds(10), snapshot: false);
        await _gateway.StopAsync(TimeSpan.FromSeconds(5));
        _dir.Dispose();
    }
}
