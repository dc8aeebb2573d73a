using System.Collections.Concurrent;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Tcp;
using Wallet.Gateway.Tests.Support;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Tests;

/// <summary>
/// The cross-partition seam of the gateway (<see cref="ICrossPartitionTransfers"/>): a lone transfer whose accounts
/// live on different partitions goes to the seam instead of a partition, and the seam's completion reaches the client
/// as an ordinary CreateResults; statuses other than Accepted answer at once with nothing applied; inside a batch it is
/// split off (SplitRequestTests); a linked chain that would span partitions is refused whole.
/// </summary>
public sealed class CrossPartitionSeamTests : IAsyncLifetime
{
    private const int Partitions = 2;
    private static readonly PartitionMap s_map = PartitionMap.Uniform(Partitions);
    private readonly TempDirectory _dir = new("cross-seam");
    private readonly GatewayServer _gateway;
    private readonly PartitionEngine[] _partitions;
    private readonly RecordingCoordinator _coordinator = new();

    public CrossPartitionSeamTests()
    {
        _gateway = new GatewayServer(GatewayFixture.DefaultGateway(), new UserDirectory(GatewayFixture.Users));
        _partitions = PartitionedSetup.StartPartitions(_gateway, _dir.Path, Partitions);
        _gateway.Start(new PartitionedRouter(_partitions, s_map, _coordinator));
    }

    /// <summary>A coordinator double: records what it is given, answers with the status a test sets, and completes later when told.</summary>
    private sealed class RecordingCoordinator : ICrossPartitionTransfers
    {
        public readonly ConcurrentQueue<(Transfer Transfer, long CorrelationId, ICrossPartitionCompletion Completion)> Taken = new();
        public CrossPartitionSubmit Status = CrossPartitionSubmit.Accepted;

        public bool Enabled => true;

        public LeaderInfo Leader { get; set; } = LeaderInfo.Local;

        public CrossPartitionSubmit TrySubmit(in Transfer transfer, long correlationId, ICrossPartitionCompletion completion)
        {
            if (Status == CrossPartitionSubmit.Accepted) Taken.Enqueue((transfer, correlationId, completion));
            return Status;
        }
    }

    private static UInt128 IdOn(int partition, ulong from = 100) => PartitionedSetup.IdsOn(s_map, partition, 1, from)[0];

    private async Task<RawClient> AdminAsync()
    {
        RawClient c = await RawClient.ConnectAsync(_gateway.LocalEndPoint);
        await c.LogonAsync("admin", GatewayFixture.AdminPassword);
        return c;
    }

    [Fact]
    public async Task A_lone_cross_partition_transfer_goes_to_the_seam_and_its_outcome_reaches_the_client()
    {
        await using RawClient admin = await AdminAsync();
        UInt128 a = IdOn(0), b = IdOn(1);
        await admin.SendMessageAsync(RawClient.CreateTransfers(41, new TransferSpec(7000, a, b, 125)));
        (Transfer transfer, long correlationId, ICrossPartitionCompletion completion) = await TakenAsync();
        Assert.Equal(41L, correlationId);
        Assert.Equal((UInt128)7000, transfer.Id);
        Assert.Equal(a, transfer.DebitAccountId);
        Assert.Equal(b, transfer.CreditAccountId);
        Assert.Equal(125, transfer.Amount);
        // Nothing answered yet: a later request's answer comes first (the client waits for the coordinator's outcome).
        Assert.Empty(await admin.LookupAccountsAsync(a));

        // A second one on the same session: the same completion object (one per session), told apart by correlation id.
        await admin.SendMessageAsync(RawClient.CreateTransfers(42, new TransferSpec(7001, a, b, 5)));
        (_, long secondCorrelation, ICrossPartitionCompletion secondCompletion) = await TakenAsync();
        Assert.Equal(42L, secondCorrelation);
        Assert.Same(completion, secondCompletion);

        // Completed from other threads, the second first: each answer goes to its own request.
        await Task.Run(() => secondCompletion.OnCompleted(secondCorrelation, ResultCode.Ok, 1_700_000_000_000_000_456));
        await Task.Run(() => completion.OnCompleted(correlationId, ResultCode.ExceedsCredits, 1_700_000_000_000_000_123));
        CreateResultsView second = (await admin.ExpectAsync(CreateResultsDecoder.TemplateId)).AsCreateResults();
        Assert.Equal((42UL, 1_700_000_000_000_000_456L), (second.CorrelationId, second.TimestampNs));
        Assert.Equal([(0u, (uint)ResultCode.Ok)], second.Results);
        CreateResultsView result = (await admin.ExpectAsync(CreateResultsDecoder.TemplateId)).AsCreateResults();
        Assert.Equal(41UL, result.CorrelationId);
        Assert.Equal(1_700_000_000_000_000_123, result.TimestampNs);
        Assert.Equal([(0u, (uint)ResultCode.ExceedsCredits)], result.Results);
        // Nothing else: the next frame is the next request's answer.
        Assert.Empty(await admin.LookupAccountsAsync(b));
        // No partition saw it (the double decides; here it applied nothing anywhere).
        Assert.Empty(await admin.LookupTransfersAsync(7000));
    }

    [Fact]
    public async Task Outcomes_completed_inside_a_result_burst_all_reach_the_client_when_the_burst_ends()
    {
        // A long heartbeat: the session's writer loop has no reason to send until then, so only the burst's end can
        // flush these answers within the test's wait (without it they would leave with the next heartbeat).
        await using RawClient admin = await RawClient.ConnectAsync(_gateway.LocalEndPoint);
        Assert.Equal(30_000u, (await admin.LogonAsync("admin", GatewayFixture.AdminPassword, heartbeatIntervalMs: 30_000)).HeartbeatIntervalMs);
        UInt128 a = IdOn(0), b = IdOn(1);
        const int Count = 20;
        for (int i = 0; i < Count; i++)
            await admin.SendMessageAsync(RawClient.CreateTransfers(200UL + (ulong)i, new TransferSpec(7500 + (ulong)i, a, b, 1)));
        var taken = new List<(Transfer, long CorrelationId, ICrossPartitionCompletion Completion)>();
        for (int i = 0; i < Count; i++) taken.Add(await TakenAsync());

        // As a saga driver does (SagaReplicaCore.FireCompletions): one burst on one thread for the round's outcomes;
        // each queues its answer without the per-answer flush, and the burst's end flushes the session once.
        await Task.Run(() =>
        {
            ResultBurst.Begin();
            try
            {
                foreach (var t in taken) t.Completion.OnCompleted(t.CorrelationId, ResultCode.Ok, 1_000 + t.CorrelationId);
            }
            finally
            {
                ResultBurst.End();
            }
        });
        var seen = new HashSet<ulong>();
        for (int i = 0; i < Count; i++)
        {
            CreateResultsView result = (await admin.ExpectAsync(CreateResultsDecoder.TemplateId, TimeSpan.FromSeconds(10))).AsCreateResults();
            Assert.Equal([(0u, (uint)ResultCode.Ok)], result.Results);
            Assert.Equal(1_000 + (long)result.CorrelationId, result.TimestampNs);
            Assert.True(seen.Add(result.CorrelationId));
        }
        Assert.Equal(Count, seen.Count);
        // And the session goes on as before.
        Assert.Empty(await admin.LookupAccountsAsync(a));
    }

    [Fact]
    public async Task Seam_refusals_answer_at_once_and_release_the_in_flight_slot()
    {
        await using RawClient admin = await AdminAsync();
        UInt128 a = IdOn(0), b = IdOn(1);
        _coordinator.Status = CrossPartitionSubmit.Busy;
        await admin.SendMessageAsync(RawClient.CreateTransfers(51, new TransferSpec(7100, a, b, 1)));
        Assert.Equal(51UL, (await admin.ExpectAsync(BusyDecoder.TemplateId)).AsBusy().CorrelationId);

        _coordinator.Status = CrossPartitionSubmit.NotRunning;
        await admin.SendMessageAsync(RawClient.CreateTransfers(52, new TransferSpec(7101, a, b, 1)));
        var reject = (await admin.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal((52UL, RejectReason.NotRunning), (reject.CorrelationId, reject.Reason));

        _coordinator.Status = CrossPartitionSubmit.Unsupported;
        await admin.SendMessageAsync(RawClient.CreateTransfers(53, new TransferSpec(7102, a, b, 1)));
        reject = (await admin.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal((53UL, RejectReason.InvalidField), (reject.CorrelationId, reject.Reason));
        Assert.Equal(RefuseCrossPartitionTransfers.RefusalText, reject.Text);
        Assert.Empty(_coordinator.Taken);

        // The slots were released: same-partition work still flows.
        await admin.CreateAccountsAsync(1, a);
        Assert.Single(await admin.LookupAccountsAsync(a));
    }

    [Fact]
    public async Task A_coordinator_led_elsewhere_redirects_the_client_to_its_leader_and_a_lost_leadership_ends_the_session()
    {
        await using RawClient admin = await AdminAsync();
        UInt128 a = IdOn(0), b = IdOn(1);
        // Not the coordinator's leader: Redirect to the coordinator's leader (not to the debit partition's).
        _coordinator.Status = CrossPartitionSubmit.NotLeader;
        _coordinator.Leader = LeaderInfo.Remote("127.0.0.9", 7654, 4);
        await admin.SendMessageAsync(RawClient.CreateTransfers(71, new TransferSpec(7300, a, b, 1)));
        Assert.Equal((71UL, "127.0.0.9", (ushort)7654, 4L), (await admin.ExpectAsync(RedirectDecoder.TemplateId)).AsRedirect());
        // No leader known (an election): Busy, nothing taken.
        _coordinator.Leader = LeaderInfo.Unknown(5);
        await admin.SendMessageAsync(RawClient.CreateTransfers(72, new TransferSpec(7301, a, b, 1)));
        Assert.Equal(72UL, (await admin.ExpectAsync(BusyDecoder.TemplateId)).AsBusy().CorrelationId);
        Assert.Empty(_coordinator.Taken);

        // Accepted, then the coordinator stops leading before an outcome: not an outcome, so no CreateResults — the
        // session's leadership-lost path (here no remote leader is known: the session ends; the client resubmits).
        _coordinator.Status = CrossPartitionSubmit.Accepted;
        await admin.SendMessageAsync(RawClient.CreateTransfers(73, new TransferSpec(7302, a, b, 1)));
        (_, long notLed, ICrossPartitionCompletion completion) = await TakenAsync();
        completion.OnNotLeader(notLed);
        var seen = new List<Frame>();
        Assert.True(await admin.WaitClosedAsync(seen, TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain(seen, f => f.TemplateId == CreateResultsDecoder.TemplateId);
    }

    [Fact]
    public async Task A_batch_holding_a_cross_partition_transfer_is_split_and_a_linked_one_is_refused_whole()
    {
        await using RawClient admin = await AdminAsync();
        UInt128 a = IdOn(0), a2 = IdOn(0, 1000), b = IdOn(1);
        await admin.CreateAccountsAsync(1, a, a2);
        // The same-partition item goes to its partition, the other to the seam; one answer, in item order.
        await admin.SendMessageAsync(RawClient.CreateTransfers(61, new TransferSpec(7200, a, a2, 5), new TransferSpec(7201, a, b, 5)));
        (Transfer transfer, long correlationId, ICrossPartitionCompletion completion) = await TakenAsync();
        Assert.Equal(((UInt128)7201, 61L), (transfer.Id, correlationId));
        completion.OnCompleted(correlationId, ResultCode.CreditAccountNotFound, 9);
        CreateResultsView split = (await admin.ExpectAsync(CreateResultsDecoder.TemplateId)).AsCreateResults();
        Assert.Equal(61UL, split.CorrelationId);
        Assert.Equal([(0u, (uint)ResultCode.Ok), (1u, (uint)ResultCode.CreditAccountNotFound)], split.Results);

        await admin.SendMessageAsync(RawClient.CreateTransfers(62, new TransferSpec(7202, a, b, 5, Flags: (ushort)TransferFlags.Linked)));
        var reject = (await admin.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal((62UL, RejectReason.InvalidField), (reject.CorrelationId, reject.Reason));
        Assert.Contains("linked chain", reject.Text, StringComparison.Ordinal);

        Assert.Empty(_coordinator.Taken);
        Assert.Equal([(UInt128)7200], (await admin.LookupTransfersAsync(7200, 7201, 7202)).Select(t => t.Id));
        Assert.Equal(5, (await admin.LookupAccountsAsync(a)).Single().DebitsPosted);
    }

    private async Task<(Transfer, long, ICrossPartitionCompletion)> TakenAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        (Transfer, long, ICrossPartitionCompletion) taken;
        while (!_coordinator.Taken.TryDequeue(out taken))
        {
            await Task.Delay(10, cts.Token);
        }
        return taken;
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
