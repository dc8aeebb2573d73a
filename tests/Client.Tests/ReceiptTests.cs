using System.Collections.Concurrent;
using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client.Tests;

/// <summary>
/// Receipts: the *WithReceiptAsync calls and the receipt-aware transfer handler return the log index (and for commands
/// the ledger timestamp) of the answer's header, per request — not a client-side value, not another request's.
/// </summary>
public sealed class ReceiptTests
{
    /// <summary>A server that stamps each answer with an index and time derived from its correlation id.</summary>
    private static FakeServer StampingServer()
    {
        var server = new FakeServer();
        server.OnRequest = (s, r) => r.TemplateId switch
        {
            LookupAccountsDecoder.TemplateId => s.SendAccountsFoundAsync(r.CorrelationId,
                r.Ids.Select(id => new Account { Id = id, Ledger = 1, Code = 1, CreditsPosted = 5 }).ToList(), IndexOf(r.CorrelationId)),
            LookupTransfersDecoder.TemplateId => s.SendTransfersFoundAsync(r.CorrelationId, [], IndexOf(r.CorrelationId)),
            _ => s.SendCreateResultsAsync(r.CorrelationId,
                Enumerable.Range(0, Math.Max(Math.Max(r.Transfers.Length, r.Accounts.Length), r.Ids.Length)).Select(i => ((uint)i, ResultCode.Ok)).ToList(),
                IndexOf(r.CorrelationId), TimeOf(r.CorrelationId)),
        };
        return server;
    }

    private static long IndexOf(ulong correlationId) => 1_000 + (long)correlationId;

    private static long TimeOf(ulong correlationId) => 1_800_000_000_000_000_000 + (long)correlationId;

    [Fact]
    public async Task Batch_calls_return_the_answer_headers_log_index_and_ledger_time()
    {
        await using FakeServer server = StampingServer();
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        Receipt<CreateResult[]>[] receipts = await Task.WhenAll(Enumerable.Range(1, 10)
            .Select(i => client.CreateTransfersWithReceiptAsync(new[] { TestKit.Transfer((UInt128)i), TestKit.Transfer((UInt128)(100 + i)) }))).Bounded();
        // Each call got its own answer's header: distinct indexes, each time matching its index.
        Assert.Equal(10, receipts.Select(r => r.LogIndex).Distinct().Count());
        Assert.All(receipts, r =>
        {
            Assert.Equal(2, r.Value.Length);
            Assert.True(r.LogIndex > 1_000);
            Assert.Equal(TimeOf((ulong)(r.LogIndex - 1_000)), r.TimestampNs);
        });

        Receipt<CreateResult[]> accounts = await client.CreateAccountsWithReceiptAsync(new[] { new Account { Id = 7, Ledger = 1, Code = 1 } }).Bounded();
        Receipt<CreateResult[]> closed = await client.CloseAccountsWithReceiptAsync(new UInt128[] { 7 }).Bounded();
        Assert.True(closed.LogIndex > accounts.LogIndex && accounts.LogIndex > receipts.Max(r => r.LogIndex));
        Assert.Equal(TimeOf((ulong)(closed.LogIndex - 1_000)), closed.TimestampNs);

        // Reads carry the index they were read at; no ledger time comes with them.
        Receipt<Account[]> found = await client.LookupAccountsWithReceiptAsync(new UInt128[] { 7, 8 }).Bounded();
        Assert.Equal([(UInt128)7, 8], found.Value.Select(a => a.Id));
        Assert.Equal(0, found.TimestampNs);
        Assert.True(found.LogIndex > closed.LogIndex);
        Receipt<Transfer[]> transfers = await client.LookupTransfersWithReceiptAsync(new UInt128[] { 1 }).Bounded();
        Assert.Empty(transfers.Value);
        Assert.True(transfers.LogIndex > found.LogIndex);
    }

    [Fact]
    public async Task Argument_errors_throw_at_the_call_as_with_the_plain_methods()
    {
        await using FakeServer server = StampingServer();
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = client.CreateTransfersWithReceiptAsync(Array.Empty<Transfer>()); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = client.PeerLookupTransfersWithReceiptAsync(-1, new UInt128[] { 1 }); });
    }

    /// <summary>Records the receipt each single transfer was completed with.</summary>
    private sealed class ReceiptHandler(int expected) : ITransferResultHandler
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;
        public readonly ConcurrentDictionary<long, (ResultCode Code, long LogIndex, long TimestampNs)> Seen = new();
        public int TwoArgumentCalls;

        public void OnTransferCompleted(long userToken, ResultCode code) => Interlocked.Increment(ref TwoArgumentCalls);

        public void OnTransferCompleted(long userToken, ResultCode code, long logIndex, long timestampNs)
        {
            Seen[userToken] = (code, logIndex, timestampNs);
            if (Interlocked.Increment(ref _calls) == expected) _done.TrySetResult();
        }

        public void OnTransferFailed(long userToken, Exception error) => _done.TrySetException(error);

        public Task WaitAsync() => _done.Task.WaitAsync(TestKit.Bound);
    }

    [Fact]
    public async Task Single_transfers_are_completed_with_their_coalesced_commands_receipt()
    {
        await using FakeServer server = StampingServer();
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();
        var handler = new ReceiptHandler(40);
        for (int i = 1; i <= 40; i++) Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer((UInt128)i), handler, userToken: i));
        await handler.WaitAsync();
        Assert.Equal(0, handler.TwoArgumentCalls); // the receipt-aware overload is the one called
        foreach ((ResultCode code, long logIndex, long timestampNs) in handler.Seen.Values)
        {
            // Transfers coalesced into one message share that message's answer, hence its receipt.
            Assert.Equal(ResultCode.Ok, code);
            Assert.True(logIndex > 1_000);
            Assert.Equal(TimeOf((ulong)(logIndex - 1_000)), timestampNs);
        }

        // The value-task form: its own coalesced command's receipt, per call.
        Receipt<ResultCode>[] stamped = await Task.WhenAll(Enumerable.Range(100, 20)
            .Select(i => client.TransferWithReceiptAsync(TestKit.Transfer((UInt128)i)).AsTask())).Bounded();
        Assert.All(stamped, r =>
        {
            Assert.Equal(ResultCode.Ok, r.Value);
            Assert.True(r.LogIndex > 1_000);
            Assert.Equal(TimeOf((ulong)(r.LogIndex - 1_000)), r.TimestampNs);
        });

        // A handler that implements only the two-argument method still gets every outcome (the default forwards).
        var plain = new RecordingHandler(5);
        for (int i = 41; i <= 45; i++) Assert.Equal(TransferSubmitStatus.Submitted, client.TrySubmitTransfer(TestKit.Transfer((UInt128)i), plain, userToken: i));
        await plain.WaitForAsync();
        Assert.All(plain.Codes.Values, c => Assert.Equal(ResultCode.Ok, c));
    }
}
