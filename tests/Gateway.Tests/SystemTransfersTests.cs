using System.Runtime.InteropServices;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Tcp;
using Wallet.Gateway.Tests.Support;
using Wallet.Protocol.Sbe;
using Wallet.Saga;

namespace Wallet.Gateway.Tests;

/// <summary>
/// The remote step path of the saga sequencer: SystemTransfers over SBE, from a session of the system role only, to
/// the partition the request names, every named account living there. Two partitions in one process behind one gateway.
/// </summary>
public sealed class SystemTransfersTests : IAsyncLifetime
{
    private const int Partitions = 2;
    private const uint Usd = 1;
    private static readonly PartitionMap s_map = PartitionMap.Uniform(Partitions);
    private static readonly TimeSpan s_applyWait = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _dir = new("system-transfers");
    private readonly GatewayServer _gateway;
    private readonly PartitionEngine[] _partitions = new PartitionEngine[Partitions];
    private readonly ClearingAccounts _clearing;

    public SystemTransfersTests()
    {
        // Partitions accept at most 4 transfers per command; the gateway's batch limit is larger, so the partition's
        // own limit is what refuses a 5-item request.
        GatewayOptions g = GatewayFixture.DefaultGateway();
        var gateway = new GatewayOptions
        {
            Port = 0, HeartbeatIntervalMs = g.HeartbeatIntervalMs, MinHeartbeatIntervalMs = g.MinHeartbeatIntervalMs,
            LogonTimeoutMs = g.LogonTimeoutMs, CloseLingerMs = g.CloseLingerMs, MaxBatchSize = 8,
        };
        _gateway = new GatewayServer(gateway, new UserDirectory(GatewayFixture.Users));
        for (int p = 0; p < Partitions; p++)
        {
            PartitionOptions d = GatewayFixture.DefaultPartition(Path.Combine(_dir.Path, $"partition-{p}"));
            var options = new PartitionOptions
            {
                DataDirectory = d.DataDirectory,
                Ledger = new LedgerOptions
                {
                    Catalog = d.Ledger.Catalog, MaxAccounts = d.Ledger.MaxAccounts, MaxBatchSize = 4,
                    MaxPendingTransfers = d.Ledger.MaxPendingTransfers, TransferRetentionCount = d.Ledger.TransferRetentionCount,
                },
                MaxCommandBytes = 4 * Transfer.SizeBytes,
                JournalSegmentSizeBytes = d.JournalSegmentSizeBytes, Fsync = d.Fsync, IngressRingSize = d.IngressRingSize, EgressRingSize = d.EgressRingSize,
            };
            _partitions[p] = PartitionEngine.Start(options, _gateway.ResultHandler);
        }
        _gateway.Start(new PartitionedRouter(_partitions, s_map));
        _clearing = new ClearingAccounts(s_map, GatewayFixture.DefaultPartition("unused").Ledger.Catalog);
    }

    private static UInt128 IdOn(int partition, ulong from)
    {
        for (ulong id = from; ; id++)
        {
            if (s_map.PartitionOf(id) == partition) return id;
        }
    }

    private UInt128 Clearing(int partition)
    {
        Assert.True(_clearing.TryGet(partition, Usd, out UInt128 id));
        return id;
    }

    /// <summary>The clearing accounts as the coordinator creates them: SystemCreateAccounts, straight into each partition.</summary>
    private async Task CreateClearingAccountsAsync()
    {
        for (int p = 0; p < Partitions; p++)
        {
            Account[] accounts = _clearing.AccountsOf(p);
            long before = _partitions[p].AppliedIndex;
            Assert.Equal(SubmitStatus.Accepted, _partitions[p].TrySubmit((ushort)CommandKind.SystemCreateAccounts, 1, 0, MemoryMarshal.AsBytes(accounts.AsSpan())));
            await WaitAppliedAsync(p, before + 1);
        }
    }

    private async Task WaitAppliedAsync(int partition, long index)
    {
        using var cts = new CancellationTokenSource(s_applyWait);
        while (_partitions[partition].AppliedIndex < index) await Task.Delay(10, cts.Token);
    }

    private async Task<RawClient> LogonAsync(string user, string password)
    {
        RawClient c = await RawClient.ConnectAsync(_gateway.LocalEndPoint);
        await c.LogonAsync(user, password);
        return c;
    }

    private Task<RawClient> AdminAsync() => LogonAsync("admin", GatewayFixture.AdminPassword);

    private Task<RawClient> PeerAsync() => LogonAsync("peer", GatewayFixture.SystemPassword);

    private static async Task<(RejectReason Reason, string Text)> ExpectRejectAsync(RawClient c, ulong correlationId, ushort templateId)
    {
        var reject = (await c.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal(correlationId, reject.CorrelationId);
        Assert.Equal(templateId, reject.RefTemplateId);
        return (reject.Reason, reject.Text);
    }

    /// <summary>Customer A on partition 0, customer B on partition 1, and both partitions' clearing accounts.</summary>
    private async Task<(UInt128 A, UInt128 B)> SetUpAsync(RawClient admin)
    {
        UInt128 a = IdOn(0, 100), b = IdOn(1, 100);
        Assert.All((await admin.CreateAccountsAsync(Usd, a)).Results, r => Assert.Equal((uint)ResultCode.Ok, r.Code));
        Assert.All((await admin.CreateAccountsAsync(Usd, b)).Results, r => Assert.Equal((uint)ResultCode.Ok, r.Code));
        await CreateClearingAccountsAsync();
        return (a, b);
    }

    [Fact]
    public async Task A_system_session_moves_a_saga_across_partitions_through_the_clearing_accounts()
    {
        await using RawClient admin = await AdminAsync();
        (UInt128 a, UInt128 b) = await SetUpAsync(admin);
        await using RawClient peer = await PeerAsync();
        UInt128 hold = SystemIds.StepTransferId(7, (int)SagaStep.SourceHold);
        UInt128 credit = SystemIds.StepTransferId(7, (int)SagaStep.DestCredit);
        UInt128 post = SystemIds.StepTransferId(7, (int)SagaStep.SourcePost);

        // Step 1 on the source: hold A → clearing(0). Step 2 on the destination: clearing(1) → B, debiting a clearing account.
        CreateResultsView held = await peer.SystemTransfersAsync(0, new TransferSpec(hold, a, Clearing(0), 250, Flags: (ushort)TransferFlags.Pending));
        Assert.Equal([(0u, (uint)ResultCode.Ok)], held.Results);
        CreateResultsView credited = await peer.SystemTransfersAsync(1, new TransferSpec(credit, Clearing(1), b, 250));
        Assert.Equal([(0u, (uint)ResultCode.Ok)], credited.Results);
        // Step 3 names no account, only the hold: the request's partition is what routes it.
        CreateResultsView posted = await peer.SystemTransfersAsync(0, new TransferSpec(post, 0, 0, 0, Flags: (ushort)TransferFlags.PostPendingTransfer, PendingId: hold, Ledger: 0, Code: 0));
        Assert.Equal([(0u, (uint)ResultCode.Ok)], posted.Results);
        // A resend of a step is answered by the partition's idempotency, not applied twice.
        CreateResultsView again = await peer.SystemTransfersAsync(1, new TransferSpec(credit, Clearing(1), b, 250));
        Assert.Equal([(0u, (uint)ResultCode.Exists)], again.Results);

        AccountView source = (await admin.LookupAccountsAsync(a)).Single();
        AccountView dest = (await admin.LookupAccountsAsync(b)).Single();
        AccountView sourceClearing = (await admin.LookupAccountsAsync(Clearing(0))).Single();
        AccountView destClearing = (await admin.LookupAccountsAsync(Clearing(1))).Single();
        Assert.Equal((250L, 0L), (source.DebitsPosted, source.DebitsPending));
        Assert.Equal(250L, dest.CreditsPosted);
        Assert.Equal((250L, 0L), (sourceClearing.CreditsPosted, sourceClearing.CreditsPending));
        Assert.Equal(250L, destClearing.DebitsPosted);
        // Each step went to the partition it named: partition 0 applied A, clearing, hold, post; partition 1 B, clearing,
        // credit and the resend (a command like any other, whose item answered Exists and moved nothing: see balances).
        Assert.Equal(4, _partitions[0].AppliedIndex);
        Assert.Equal(4, _partitions[1].AppliedIndex);
    }

    [Theory]
    [InlineData("admin", GatewayFixture.AdminPassword)]
    [InlineData("alice", GatewayFixture.ClientPassword)]
    public async Task SystemTransfers_from_an_admin_or_client_session_are_refused_and_nothing_is_applied(string user, string password)
    {
        await using RawClient admin = await AdminAsync();
        await SetUpAsync(admin);
        UInt128 a = IdOn(0, 100);
        long applied = _partitions[0].AppliedIndex;
        await using RawClient other = user == "admin" ? admin : await LogonAsync(user, password);
        UInt128 step = SystemIds.StepTransferId(9, (int)SagaStep.SourceHold);
        await other.SendMessageAsync(RawClient.SystemTransfers(41, 0, new TransferSpec(step, a, Clearing(0), 10, Flags: (ushort)TransferFlags.Pending)));
        (RejectReason reason, string text) = await ExpectRejectAsync(other, 41, SystemTransfersDecoder.TemplateId);
        Assert.Equal(RejectReason.Unauthorized, reason);
        Assert.Contains("system role", text, StringComparison.Ordinal);

        Assert.Empty(await admin.LookupTransfersAsync(step));
        Assert.Equal(0, (await admin.LookupAccountsAsync(a)).Single().DebitsPending);
        Assert.Equal(applied, _partitions[0].AppliedIndex);
    }

    [Fact]
    public async Task A_system_session_may_send_nothing_but_SystemTransfers()
    {
        await using RawClient admin = await AdminAsync();
        (UInt128 a, UInt128 b) = await SetUpAsync(admin);
        long[] applied = [_partitions[0].AppliedIndex, _partitions[1].AppliedIndex];
        await using RawClient peer = await PeerAsync();

        await peer.SendMessageAsync(RawClient.CreateTransfers(51, new TransferSpec(5100, a, IdOn(0, 1000), 1)));
        Assert.Equal(RejectReason.Unauthorized, (await ExpectRejectAsync(peer, 51, CreateTransfersDecoder.TemplateId)).Reason);
        await peer.SendMessageAsync(RawClient.CreateAccounts(52, Usd, IdOn(0, 2000)));
        Assert.Equal(RejectReason.Unauthorized, (await ExpectRejectAsync(peer, 52, CreateAccountsDecoder.TemplateId)).Reason);
        await peer.SendMessageAsync(RawClient.LookupAccounts(53, a));
        Assert.Equal(RejectReason.Unauthorized, (await ExpectRejectAsync(peer, 53, LookupAccountsDecoder.TemplateId)).Reason);
        await peer.SendMessageAsync(RawClient.LookupTransfers(54, 5100));
        Assert.Equal(RejectReason.Unauthorized, (await ExpectRejectAsync(peer, 54, LookupTransfersDecoder.TemplateId)).Reason);

        Assert.Empty(await admin.LookupTransfersAsync(5100));
        Assert.Empty(await admin.LookupAccountsAsync(IdOn(0, 2000)));
        Assert.Equal(applied, new[] { _partitions[0].AppliedIndex, _partitions[1].AppliedIndex });
        // The session is still usable for what it is for.
        CreateResultsView ok = await peer.SystemTransfersAsync(1, new TransferSpec(SystemIds.StepTransferId(3, (int)SagaStep.DestCredit), Clearing(1), b, 5));
        Assert.Equal([(0u, (uint)ResultCode.Ok)], ok.Results);
    }

    [Fact]
    public async Task Items_on_another_partition_than_the_named_one_or_a_partition_out_of_range_are_refused_whole()
    {
        await using RawClient admin = await AdminAsync();
        (UInt128 a, UInt128 b) = await SetUpAsync(admin);
        long[] applied = [_partitions[0].AppliedIndex, _partitions[1].AppliedIndex];
        await using RawClient peer = await PeerAsync();
        UInt128 first = SystemIds.StepTransferId(11, (int)SagaStep.SourceHold);
        UInt128 second = SystemIds.StepTransferId(12, (int)SagaStep.DestCredit);

        // Two items for two partitions in one request: the second debits partition 1's clearing account.
        await peer.SendMessageAsync(RawClient.SystemTransfers(61, 0,
            new TransferSpec(first, a, Clearing(0), 10, Flags: (ushort)TransferFlags.Pending),
            new TransferSpec(second, Clearing(1), b, 10)));
        (RejectReason reason, string text) = await ExpectRejectAsync(peer, 61, SystemTransfersDecoder.TemplateId);
        Assert.Equal(RejectReason.InvalidField, reason);
        Assert.Contains("another partition", text, StringComparison.Ordinal);

        // One item whose credit account lives elsewhere than its debit account (and the named partition).
        await peer.SendMessageAsync(RawClient.SystemTransfers(62, 0, new TransferSpec(first, a, Clearing(1), 10)));
        Assert.Equal(RejectReason.InvalidField, (await ExpectRejectAsync(peer, 62, SystemTransfersDecoder.TemplateId)).Reason);

        // The right items, the wrong partition named.
        await peer.SendMessageAsync(RawClient.SystemTransfers(63, 1, new TransferSpec(first, a, Clearing(0), 10, Flags: (ushort)TransferFlags.Pending)));
        Assert.Equal(RejectReason.InvalidField, (await ExpectRejectAsync(peer, 63, SystemTransfersDecoder.TemplateId)).Reason);

        // A partition this node does not have.
        await peer.SendMessageAsync(RawClient.SystemTransfers(64, Partitions, new TransferSpec(first, 0, 0, 0, Flags: (ushort)TransferFlags.PostPendingTransfer, PendingId: first, Ledger: 0, Code: 0)));
        (reason, text) = await ExpectRejectAsync(peer, 64, SystemTransfersDecoder.TemplateId);
        Assert.Equal(RejectReason.InvalidField, reason);
        Assert.Contains("partition count", text, StringComparison.Ordinal);

        Assert.Empty(await admin.LookupTransfersAsync(first, second));
        Assert.Equal(applied, new[] { _partitions[0].AppliedIndex, _partitions[1].AppliedIndex });
    }

    [Fact]
    public async Task Malformed_empty_and_oversized_requests_are_refused_precisely()
    {
        await using RawClient admin = await AdminAsync();
        (UInt128 a, _) = await SetUpAsync(admin);
        long applied = _partitions[0].AppliedIndex;
        await using RawClient peer = await PeerAsync();
        TransferSpec Hold(ulong saga) => new(SystemIds.StepTransferId(saga, (int)SagaStep.SourceHold), a, Clearing(0), 1, Flags: (ushort)TransferFlags.Pending);

        // The group claims one item more than the frame holds.
        byte[] two = RawClient.SystemTransfers(71, 0, Hold(20), Hold(21));
        byte[] lying = two[..^128];
        await peer.SendMessageAsync(lying);
        Assert.Equal(RejectReason.TruncatedMessage, (await ExpectRejectAsync(peer, 71, SystemTransfersDecoder.TemplateId)).Reason);

        // A root block too short to hold the partition field.
        byte[] shortRoot = RawClient.SystemTransfers(72, 0);
        BitConverter.TryWriteBytes(shortRoot.AsSpan(0, 2), (ushort)8);
        await peer.SendMessageAsync(shortRoot);
        Assert.Equal(RejectReason.TruncatedMessage, (await ExpectRejectAsync(peer, 72, SystemTransfersDecoder.TemplateId)).Reason);

        await peer.SendMessageAsync(RawClient.SystemTransfers(73, 0));
        Assert.Equal(RejectReason.EmptyBatch, (await ExpectRejectAsync(peer, 73, SystemTransfersDecoder.TemplateId)).Reason);

        // More than the gateway's maxBatchSize (8).
        TransferSpec[] nine = [.. Enumerable.Range(30, 9).Select(i => Hold((ulong)i))];
        await peer.SendMessageAsync(RawClient.SystemTransfers(74, 0, nine));
        Assert.Equal(RejectReason.BatchTooLarge, (await ExpectRejectAsync(peer, 74, SystemTransfersDecoder.TemplateId)).Reason);

        // Within the gateway's limit but more than the partition's MaxCommandBytes / Transfer size (4).
        TransferSpec[] five = [.. Enumerable.Range(40, 5).Select(i => Hold((ulong)i))];
        await peer.SendMessageAsync(RawClient.SystemTransfers(75, 0, five));
        (RejectReason reason, string text) = await ExpectRejectAsync(peer, 75, SystemTransfersDecoder.TemplateId);
        Assert.Equal(RejectReason.BatchTooLarge, reason);
        Assert.Contains("larger than the partition accepts", text, StringComparison.Ordinal);

        Assert.Equal(applied, _partitions[0].AppliedIndex);
        Assert.Equal(0, (await admin.LookupAccountsAsync(a)).Single().DebitsPending);
        // Four fit.
        CreateResultsView four = await peer.SystemTransfersAsync(0, [.. Enumerable.Range(50, 4).Select(i => Hold((ulong)i))]);
        Assert.Equal(4, four.Results.Count);
        Assert.All(four.Results, r => Assert.Equal((uint)ResultCode.Ok, r.Code));
    }

    [Fact]
    public async Task The_sdk_sends_system_transfers_and_reads_their_results()
    {
        await using RawClient admin = await AdminAsync();
        (UInt128 a, UInt128 b) = await SetUpAsync(admin);
        await using WalletClient peer = await WalletClient.ConnectAsync(new WalletClientOptions
        {
            Port = _gateway.LocalEndPoint.Port, ClientId = "peer", Credential = GatewayFixture.SystemPassword, RequestTimeoutMs = 10_000,
        });
        UInt128 hold = SystemIds.StepTransferId(77, (int)SagaStep.SourceHold);
        Transfer[] steps =
        [
            new Transfer { Id = hold, DebitAccountId = a, CreditAccountId = Clearing(0), Amount = 40, Ledger = Usd, Code = 1, Flags = TransferFlags.Pending },
            new Transfer { Id = SystemIds.StepTransferId(77, (int)SagaStep.SourceCancel), PendingId = hold, Flags = TransferFlags.VoidPendingTransfer | TransferFlags.FenceIfAbsent },
        ];
        CreateResult[] results = await peer.SystemTransfersAsync(0, steps);
        Assert.Equal([ResultCode.Ok, ResultCode.Ok], results.Select(r => r.Code));
        // A fence for a hold that never came, on the other partition: recorded, Ok; a later try with that id is refused.
        UInt128 credit = SystemIds.StepTransferId(78, (int)SagaStep.DestCredit);
        results = await peer.SystemTransfersAsync(1, new[] { new Transfer { Id = SystemIds.StepTransferId(78, (int)SagaStep.DestCancel), PendingId = credit, Flags = TransferFlags.VoidPendingTransfer | TransferFlags.FenceIfAbsent } });
        Assert.Equal(ResultCode.Ok, results.Single().Code);
        results = await peer.SystemTransfersAsync(1, new[] { new Transfer { Id = credit, DebitAccountId = Clearing(1), CreditAccountId = b, Amount = 40, Ledger = Usd, Code = 1 } });
        Assert.Equal(ResultCode.TransferFenced, results.Single().Code);

        AccountView source = (await admin.LookupAccountsAsync(a)).Single();
        Assert.Equal((0L, 0L), (source.DebitsPending, source.DebitsPosted));
        Assert.Equal(0L, (await admin.LookupAccountsAsync(b)).Single().CreditsPosted);

        // Refusals surface as the SDK's rejection; a partition out of range never leaves the client as a bad frame.
        var refused = await Assert.ThrowsAsync<WalletRejectedException>(() => peer.SystemTransfersAsync(5, steps));
        Assert.Contains("partition count", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => peer.SystemTransfersAsync(-1, steps));
        await using WalletClient alice = await WalletClient.ConnectAsync(new WalletClientOptions
        {
            Port = _gateway.LocalEndPoint.Port, ClientId = "alice", Credential = GatewayFixture.ClientPassword, RequestTimeoutMs = 10_000,
        });
        await Assert.ThrowsAsync<WalletRejectedException>(() => alice.SystemTransfersAsync(0, steps));
    }

    [Fact]
    public async Task The_sdk_creates_a_partitions_clearing_accounts_and_only_a_system_session_may()
    {
        await using WalletClient peer = await WalletClient.ConnectAsync(new WalletClientOptions
        {
            Port = _gateway.LocalEndPoint.Port, ClientId = "peer", Credential = GatewayFixture.SystemPassword, RequestTimeoutMs = 10_000,
        });
        Account[] clearing = _clearing.AccountsOf(1);
        Assert.All(await peer.SystemCreateAccountsAsync(1, clearing), r => Assert.Equal(ResultCode.Ok, r.Code));
        // Idempotent: a second leader (or a reconnect) creating them again is told Exists and nothing changes.
        Assert.All(await peer.SystemCreateAccountsAsync(1, clearing), r => Assert.Equal(ResultCode.Exists, r.Code));
        long applied = _partitions[0].AppliedIndex;
        // Partition 1's clearing accounts do not live on partition 0: refused whole, nothing applied there.
        var foreign = await Assert.ThrowsAsync<WalletRejectedException>(() => peer.SystemCreateAccountsAsync(0, clearing));
        Assert.Contains("another partition", foreign.Message, StringComparison.Ordinal);
        Assert.Equal(applied, _partitions[0].AppliedIndex);

        // An admin may create accounts, but not system ones by this message (nor by CreateAccounts: IdReservedForSystem).
        await using WalletClient admin = await WalletClient.ConnectAsync(new WalletClientOptions
        {
            Port = _gateway.LocalEndPoint.Port, ClientId = "admin", Credential = GatewayFixture.AdminPassword, RequestTimeoutMs = 10_000,
        });
        var refused = await Assert.ThrowsAsync<WalletRejectedException>(() => admin.SystemCreateAccountsAsync(0, _clearing.AccountsOf(0)));
        Assert.Contains("system role", refused.Message, StringComparison.Ordinal);
        Assert.Equal(ResultCode.IdReservedForSystem, (await admin.CreateAccountsAsync(_clearing.AccountsOf(0)))[0].Code);
        Assert.Equal(applied + 1, _partitions[0].AppliedIndex); // the refused CreateAccounts is a command; the rejects never reached it
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
