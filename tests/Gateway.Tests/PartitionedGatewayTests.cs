using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Tcp;
using Wallet.Gateway.Tests.Support;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Tests;

/// <summary>
/// One gateway in front of several partitions: every request goes to the partition of its accounts
/// (<see cref="PartitionMap"/>); a transfer across partitions is refused whole; a transfer lookup asks every
/// partition and answers once, in request order.
/// </summary>
public sealed class PartitionedGatewayTests : IAsyncLifetime
{
    private const int Partitions = 3;
    private static readonly PartitionMap s_map = PartitionMap.Uniform(Partitions);
    private readonly TempDirectory _dir = new("partitioned");
    private readonly GatewayServer _gateway;
    private readonly PartitionEngine[] _partitions;

    public PartitionedGatewayTests()
    {
        _gateway = new GatewayServer(GatewayFixture.DefaultGateway(), new UserDirectory(GatewayFixture.Users));
        _partitions = PartitionedSetup.StartPartitions(_gateway, _dir.Path, Partitions);
        _gateway.Start(new PartitionedRouter(_partitions, s_map));
    }

    private static UInt128[] IdsOn(int partition, int count, ulong from = 100) => PartitionedSetup.IdsOn(s_map, partition, count, from);

    private async Task<RawClient> AdminAsync()
    {
        RawClient c = await RawClient.ConnectAsync(_gateway.LocalEndPoint);
        await c.LogonAsync("admin", GatewayFixture.AdminPassword);
        return c;
    }

    [Fact]
    public async Task Requests_go_to_the_partition_of_their_accounts_and_each_partition_holds_only_its_own()
    {
        await using RawClient admin = await AdminAsync();
        for (int p = 0; p < Partitions; p++)
        {
            UInt128[] ids = IdsOn(p, 2);
            CreateResultsView created = await admin.CreateAccountsAsync(1, ids);
            Assert.All(created.Results, r => Assert.Equal((uint)ResultCode.Ok, r.Code));
            CreateResultsView moved = await admin.CreateTransfersAsync(new TransferSpec(1000 + (UInt128)p, ids[0], ids[1], 250));
            Assert.All(moved.Results, r => Assert.Equal((uint)ResultCode.Ok, r.Code));
            Assert.Equal(250, (await admin.LookupAccountsAsync(ids[1])).Single().CreditsPosted);
        }
        // Each partition applied exactly its own two commands (accounts + transfer).
        Assert.All(_partitions, p => Assert.Equal(2, p.AppliedIndex));
    }

    [Fact]
    public async Task A_transfer_across_partitions_is_refused_whole_and_nothing_is_applied()
    {
        await using RawClient admin = await AdminAsync();
        UInt128 a = IdsOn(0, 1)[0], b = IdsOn(1, 1)[0];
        await admin.CreateAccountsAsync(1, a);
        await admin.CreateAccountsAsync(1, b);
        await admin.SendMessageAsync(RawClient.CreateTransfers(77, new TransferSpec(5000, a, b, 10)));
        var reject = (await admin.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal(77UL, reject.CorrelationId);
        Assert.Equal(RejectReason.InvalidField, reject.Reason);
        Assert.Contains("different partitions", reject.Text, StringComparison.Ordinal);
        Assert.Empty(await admin.LookupTransfersAsync(5000));
        Assert.Equal(0, (await admin.LookupAccountsAsync(a)).Single().DebitsPosted);
    }

    [Fact]
    public async Task A_transfer_lookup_asks_every_partition_and_answers_once_in_request_order()
    {
        await using RawClient admin = await AdminAsync();
        var transferIds = new List<UInt128>();
        for (int p = 0; p < Partitions; p++)
        {
            UInt128[] ids = IdsOn(p, 2);
            await admin.CreateAccountsAsync(1, ids);
            UInt128 tx = 9000 + (UInt128)p;
            await admin.CreateTransfersAsync(new TransferSpec(tx, ids[0], ids[1], 1 + p));
            transferIds.Add(tx);
        }
        // Reverse order plus an unknown id: the answer keeps the request's order and skips what no partition has.
        List<TransferView> found = await admin.LookupTransfersAsync(transferIds[2], 123_456_789, transferIds[0], transferIds[1]);
        Assert.Equal([transferIds[2], transferIds[0], transferIds[1]], found.Select(t => t.Id));
        Assert.Equal([3L, 1L, 2L], found.Select(t => t.Amount));
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
