using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client.Tests;

/// <summary>
/// <see cref="WalletClient.SystemTransfersAsync"/> on the wire (template, partition, every field) and through the
/// request machinery shared with CreateTransfers: redirects, resubmission after a drop, rejections, limits.
/// </summary>
public sealed class SystemTransfersTests
{
    private static readonly UInt128 Clearing = new(0xFFFF_FFFF_FFFF_FFFEUL, (1UL << 32) | 3);
    private static readonly UInt128 Step = new(0xFFFF_FFFF_0000_0001UL, 42);

    private static Transfer Hold() => new()
    {
        Id = Step, DebitAccountId = 1001, CreditAccountId = Clearing, Amount = 12_345, PendingId = 0,
        UserData128 = 777, UserData64 = 42, UserData32 = 1, TimeoutSeconds = 0, Ledger = 1, Code = 9,
        Flags = TransferFlags.Pending | TransferFlags.LockAccounts,
    };

    [Fact]
    public async Task Sends_template_17_with_the_partition_and_every_field_and_reads_the_results()
    {
        await using var server = new FakeServer();
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();
        Transfer post = new() { Id = new UInt128(0xFFFF_FFFF_0000_0003UL, 42), PendingId = Step, Flags = TransferFlags.PostPendingTransfer };

        CreateResult[] results = await client.SystemTransfersAsync(3, new[] { Hold(), post }).Bounded();

        Assert.Equal([ResultCode.Ok, ResultCode.Ok], results.Select(r => r.Code));
        ReceivedRequest sent = server.Requests.Single();
        Assert.Equal(SystemTransfersDecoder.TemplateId, sent.TemplateId);
        Assert.Equal(3, sent.Partition);
        Assert.Equal(Hold(), sent.Transfers[0]);
        Assert.Equal(post, sent.Transfers[1]);
    }

    [Fact]
    public async Task A_redirect_is_followed_and_the_steps_resubmitted_to_the_leader()
    {
        await using var leader = new FakeServer();
        await using var follower = new FakeServer();
        follower.OnRequest = (s, r) => s.SendRedirectAsync(r.CorrelationId, "127.0.0.1", leader.Port, term: 4);
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(follower.Port)).Bounded();

        CreateResult[] results = await client.SystemTransfersAsync(1, new[] { Hold() }).Bounded();

        Assert.Equal(ResultCode.Ok, results.Single().Code);
        ReceivedRequest resent = leader.Requests.Single();
        Assert.Equal((SystemTransfersDecoder.TemplateId, 1, Step), (resent.TemplateId, resent.Partition, resent.Transfers[0].Id));
    }

    [Fact]
    public async Task A_step_applied_before_the_connection_dropped_reads_ok_when_resubmitted()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) =>
        {
            if (s.Number == 1)
            {
                server.Apply(r); // applied, answer lost with the connection
                s.Abort();
                return Task.CompletedTask;
            }
            return server.DefaultAnswerAsync(s, r);
        };
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        CreateResult[] results = await client.SystemTransfersAsync(0, new[] { Hold() }).Bounded();

        Assert.Equal(ResultCode.Ok, results.Single().Code);
        Assert.Equal(2, server.Requests.Count(r => r.TemplateId == SystemTransfersDecoder.TemplateId && r.Partition == 0));
    }

    [Fact]
    public async Task A_rejection_surfaces_and_bad_arguments_never_leave_the_client()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) => s.SendRejectAsync(r.CorrelationId, RejectReason.Unauthorized, SystemTransfersDecoder.TemplateId, "SystemTransfers needs the system role");
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        var rejected = await Assert.ThrowsAsync<WalletRejectedException>(() => client.SystemTransfersAsync(0, new[] { Hold() }).Bounded());
        Assert.Equal(RejectReason.Unauthorized, rejected.Reason);
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = client.SystemTransfersAsync(-1, new[] { Hold() }); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = client.SystemTransfersAsync(65535, new[] { Hold() }); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = client.SystemTransfersAsync(0, ReadOnlyMemory<Transfer>.Empty); });
        // The partition field makes the frame 2 bytes longer than a CreateTransfers of as many items: the limit says so.
        int max = client.Limits.MaxItemsPerMessage(FrameCodec.TransferEntryBytes, FrameCodec.SystemTransfersRootExtraBytes);
        Assert.Equal(2, FrameCodec.SystemTransfersRootExtraBytes);
        Assert.Equal(FrameCodec.BatchFrameBytes(max, FrameCodec.TransferEntryBytes) + 2, FrameCodec.SystemTransfersFrameBytes(max));
        Assert.True(FrameCodec.SystemTransfersFrameBytes(max) <= client.Limits.MaxFrameBytes);
        Assert.Single(server.Requests);
    }
}
