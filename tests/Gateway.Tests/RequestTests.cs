using Wallet.Engine.Ledger;
using Wallet.Gateway.Tests.Support;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Tests;

public sealed class RequestTests
{
    private const uint Ok = (uint)ResultCode.Ok;

    [Fact]
    public async Task Admin_creates_accounts_and_transfers_and_results_carry_ledger_codes()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient admin = await g.AdminAsync();
        CreateResultsView accounts = await admin.CreateAccountsAsync(1, 100, 101, 200);
        Assert.Equal([(0u, Ok), (1u, Ok), (2u, Ok)], accounts.Results);
        Assert.True(accounts.LogIndex > 0 && accounts.TimestampNs > 0);

        CreateResultsView transfers = await admin.CreateTransfersAsync(
            new TransferSpec(1, 100, 101, 1234),
            new TransferSpec(2, 100, 100, 1),           // same account twice
            new TransferSpec(3, 100, 999, 1));          // unknown credit account
        Assert.Equal([(0u, Ok), (1u, (uint)ResultCode.AccountsMustBeDifferent), (2u, (uint)ResultCode.CreditAccountNotFound)], transfers.Results);
        Assert.True(transfers.LogIndex > accounts.LogIndex);

        // Idempotency: the same transfer again is Exists and moves nothing.
        Assert.Equal([(0u, (uint)ResultCode.Exists)], (await admin.CreateTransfersAsync(new TransferSpec(1, 100, 101, 1234))).Results);

        List<AccountView> found = await admin.LookupAccountsAsync(100, 101, 555);
        Assert.Equal(2, found.Count);
        Assert.Equal(1234, found[0].DebitsPosted);
        Assert.Equal(1234, found[1].CreditsPosted);
        TransferView t = Assert.Single(await admin.LookupTransfersAsync(1, 2));
        Assert.Equal((UInt128)1, t.Id);
        Assert.Equal(1234, t.Amount);
    }

    [Fact]
    public async Task Client_transfers_from_granted_accounts()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient admin = await g.AdminAsync();
        await admin.CreateAccountsAsync(1, 100, 300);
        await using RawClient alice = await g.AliceAsync();
        Assert.Equal([(0u, Ok)], (await alice.CreateTransfersAsync(new TransferSpec(10, 100, 300, 5))).Results);
        Assert.Equal(5, (await alice.LookupAccountsAsync(100))[0].DebitsPosted);
    }

    [Fact]
    public async Task A_batch_with_one_unauthorised_debit_is_refused_whole_and_nothing_is_applied()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient admin = await g.AdminAsync();
        await admin.CreateAccountsAsync(1, 100, 101, 300);
        await using RawClient alice = await g.AliceAsync();
        ulong c = alice.NextCorrelation();
        await alice.SendMessageAsync(RawClient.CreateTransfers(c,
            new TransferSpec(20, 100, 101, 7),      // allowed
            new TransferSpec(21, 300, 100, 7)));    // debits 300: not granted
        var reject = (await alice.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal((c, RejectReason.Unauthorized, CreateTransfersDecoder.TemplateId), (reject.CorrelationId, reject.Reason, reject.RefTemplateId));

        Assert.Empty(await admin.LookupTransfersAsync(20, 21));
        Assert.All(await admin.LookupAccountsAsync(100, 101, 300), a => Assert.Equal((0, 0), (a.DebitsPosted, a.CreditsPosted)));
    }

    [Fact]
    public async Task Client_post_or_void_must_name_a_granted_debit_account()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient admin = await g.AdminAsync();
        await admin.CreateAccountsAsync(1, 100, 300);
        // A hold on 300 (not alice's) created by the admin.
        Assert.Equal([(0u, Ok)], (await admin.CreateTransfersAsync(new TransferSpec(30, 300, 100, 50, Flags: (ushort)TransferFlags.Pending))).Results);
        await using RawClient alice = await g.AliceAsync();
        // Naming no debit account: refused by the gateway.
        ulong c = alice.NextCorrelation();
        await alice.SendMessageAsync(RawClient.CreateTransfers(c, new TransferSpec(31, 0, 0, 0, Flags: (ushort)TransferFlags.PostPendingTransfer, PendingId: 30)));
        Assert.Equal(RejectReason.Unauthorized, (await alice.ExpectAsync(RejectDecoder.TemplateId)).AsReject().Reason);
        // Naming a granted account that is not the pending's debit: the ledger refuses it.
        CreateResultsView r = await alice.CreateTransfersAsync(new TransferSpec(32, 100, 0, 0, Flags: (ushort)TransferFlags.VoidPendingTransfer, PendingId: 30));
        Assert.Equal([(0u, (uint)ResultCode.PendingTransferHasDifferentDebitAccountId)], r.Results);
        Assert.Equal(50, (await admin.LookupAccountsAsync(300))[0].DebitsPending);
    }

    [Fact]
    public async Task Non_admin_cannot_create_or_close_accounts_nor_look_up_foreign_accounts()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient alice = await g.AliceAsync();
        await alice.SendMessageAsync(RawClient.CreateAccounts(1, 1, 150));
        Assert.Equal(RejectReason.Unauthorized, (await alice.ExpectAsync(RejectDecoder.TemplateId)).AsReject().Reason);
        await alice.SendMessageAsync(RawClient.LookupAccounts(2, 150, 300));
        Assert.Equal(RejectReason.Unauthorized, (await alice.ExpectAsync(RejectDecoder.TemplateId)).AsReject().Reason);
        await using RawClient admin = await g.AdminAsync();
        Assert.Empty(await admin.LookupAccountsAsync(150));
    }

    [Fact]
    public async Task Empty_and_oversized_batches_are_rejected_precisely()
    {
        await using GatewayFixture g = GatewayFixture.Start(o => new GatewayOptions { Port = 0, MaxBatchSize = 4, MaxFrameBytes = 4096 });
        await using RawClient admin = await g.AdminAsync();
        await admin.SendMessageAsync(RawClient.CreateTransfers(1));
        Assert.Equal(RejectReason.EmptyBatch, (await admin.ExpectAsync(RejectDecoder.TemplateId)).AsReject().Reason);
        await admin.SendMessageAsync(RawClient.LookupAccounts(2, 1, 2, 3, 4, 5));
        var r = (await admin.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal((2UL, RejectReason.BatchTooLarge), (r.CorrelationId, r.Reason));
    }
}

public sealed class RequestVisibilityAndShutdownTests
{
    [Fact]
    public async Task Clients_see_only_transfers_touching_their_accounts()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient admin = await g.AdminAsync();
        await admin.CreateAccountsAsync(1, 100, 300, 301);
        await admin.CreateTransfersAsync(new TransferSpec(1, 300, 100, 5), new TransferSpec(2, 300, 301, 6), new TransferSpec(3, 100, 301, 7));
        await using RawClient alice = await g.AliceAsync();
        List<TransferView> seen = await alice.LookupTransfersAsync(1, 2, 3);
        Assert.Equal([(UInt128)1, (UInt128)3], seen.ConvertAll(t => t.Id)); // 2 moves money between accounts that are not alice's
        Assert.Equal(3, (await admin.LookupTransfersAsync(1, 2, 3)).Count);
    }

    [Fact]
    public async Task Admin_closes_accounts_and_gets_ledger_codes()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient admin = await g.AdminAsync();
        await admin.CreateAccountsAsync(1, 100);
        ulong c = admin.NextCorrelation();
        byte[] close = RawClient.LookupAccounts(c, 100, 555);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(close.AsSpan(2), CloseAccountsDecoder.TemplateId);
        await admin.SendMessageAsync(close);
        CreateResultsView r = (await admin.ExpectAsync(CreateResultsDecoder.TemplateId)).AsCreateResults();
        Assert.Equal(c, r.CorrelationId);
        Assert.Equal([(0u, (uint)ResultCode.Ok), (1u, (uint)ResultCode.AccountNotFound)], r.Results);
        await using RawClient alice = await g.AliceAsync();
        await alice.SendMessageAsync(close);
        Assert.Equal(RejectReason.Unauthorized, (await alice.ExpectAsync(RejectDecoder.TemplateId)).AsReject().Reason);
    }

    [Fact]
    public async Task After_intake_stops_new_requests_are_refused_NotRunning()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient admin = await g.AdminAsync();
        await admin.CreateAccountsAsync(1, 100, 101);
        g.Gateway.StopIntake();
        await admin.SendMessageAsync(RawClient.CreateTransfers(50, new TransferSpec(1, 100, 101, 1)));
        var r = (await admin.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal((50UL, RejectReason.NotRunning), (r.CorrelationId, r.Reason));
    }
}
