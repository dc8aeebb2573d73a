using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client.Tests;

public sealed class FlowControlTests
{
    [Fact]
    public async Task Busy_is_retried_after_the_delay_with_the_same_ids()
    {
        await using var server = new FakeServer();
        int seen = 0;
        server.OnRequest = (s, r) => Interlocked.Increment(ref seen) <= 2
            ? s.SendBusyAsync(r.CorrelationId, retryAfterMs: 20)
            : server.DefaultAnswerAsync(s, r);
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        CreateResult[] results = await client.CreateTransfersAsync(new[] { TestKit.Transfer(7), TestKit.Transfer(8) }).Bounded();

        Assert.All(results, r => Assert.Equal(ResultCode.Ok, r.Code));
        ReceivedRequest[] sent = server.Requests.ToArray();
        Assert.Equal(3, sent.Length);
        Assert.All(sent, r => Assert.Equal([(UInt128)7, 8], r.Transfers.Select(t => t.Id)));
        Assert.Equal(3, sent.Select(r => r.CorrelationId).Distinct().Count()); // fresh correlation id per send
    }

    [Fact]
    public async Task Busy_beyond_the_retry_limit_fails_with_WalletBusyException()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) => s.SendBusyAsync(r.CorrelationId, retryAfterMs: 5);
        var options = TestKit.Options(server.Port);
        options.BusyRetryLimit = 2;
        await using var client = await WalletClient.ConnectAsync(options).Bounded();

        var e = await Assert.ThrowsAsync<WalletBusyException>(() => client.CreateTransferAsync(TestKit.Transfer(1)).Bounded());
        Assert.Equal(3, e.Attempts);
        Assert.Equal(5u, e.LastRetryAfterMs);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Busy_delay_from_the_gateway_is_capped()
    {
        await using var server = new FakeServer();
        int seen = 0;
        server.OnRequest = (s, r) => Interlocked.Increment(ref seen) == 1
            ? s.SendBusyAsync(r.CorrelationId, retryAfterMs: uint.MaxValue) // hostile value
            : server.DefaultAnswerAsync(s, r);
        var options = TestKit.Options(server.Port);
        options.BusyRetryMaxDelayMs = 30;
        await using var client = await WalletClient.ConnectAsync(options).Bounded();

        Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(TestKit.Transfer(1)).Bounded());
    }

    [Fact]
    public async Task Reject_surfaces_reason_and_text_and_the_session_stays_usable()
    {
        await using var server = new FakeServer();
        server.OnRequest = (s, r) => r.TemplateId == CreateAccountsDecoder.TemplateId
            ? s.SendRejectAsync(r.CorrelationId, RejectReason.Unauthorized, CreateAccountsDecoder.TemplateId, "admin role only")
            : server.DefaultAnswerAsync(s, r);
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        var e = await Assert.ThrowsAsync<WalletRejectedException>(() =>
            client.CreateAccountsAsync(new[] { new Account { Id = 1, Ledger = 1, Code = 1 } }).Bounded());
        Assert.Equal(RejectReason.Unauthorized, e.Reason);
        Assert.Equal("admin role only", e.Text);
        Assert.Equal(CreateAccountsDecoder.TemplateId, e.RefTemplateId);

        Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(TestKit.Transfer(1)).Bounded());
        Assert.Equal(0, client.ReconnectCount);
    }

    [Fact]
    public async Task Unanswered_request_times_out_with_its_correlation_id()
    {
        await using var server = new FakeServer();
        server.OnRequest = (_, _) => Task.CompletedTask;
        var options = TestKit.Options(server.Port);
        options.RequestTimeoutMs = 200;
        await using var client = await WalletClient.ConnectAsync(options).Bounded();

        var e = await Assert.ThrowsAsync<TimeoutException>(() => client.CreateTransfersAsync(new[] { TestKit.Transfer(1) }).Bounded());
        // The fake server records a request on its own receive path, which can lag the client's 200 ms timer on a loaded
        // runner: wait (bounded) until it has.
        await TestKit.Eventually(() => !server.Requests.IsEmpty, "the server recorded the request");
        ulong correlationId = server.Requests.Single().CorrelationId;
        Assert.Contains($"correlation id {correlationId}", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<TimeoutException>(() => client.CreateTransferAsync(TestKit.Transfer(2)).Bounded());
    }

    [Fact]
    public async Task Late_answer_after_a_timeout_is_ignored()
    {
        await using var server = new FakeServer();
        var held = new TaskCompletionSource<(FakeSession, ReceivedRequest)>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.OnRequest = (s, r) =>
        {
            if (r.Transfers[0].Id == 1)
            {
                held.TrySetResult((s, r));
                return Task.CompletedTask;
            }
            return server.DefaultAnswerAsync(s, r);
        };
        var options = TestKit.Options(server.Port);
        options.RequestTimeoutMs = 200;
        await using var client = await WalletClient.ConnectAsync(options).Bounded();

        var first = client.CreateTransfersAsync(new[] { TestKit.Transfer(1) });
        await Assert.ThrowsAsync<TimeoutException>(() => first.Bounded());
        (FakeSession session, ReceivedRequest late) = await held.Task.WaitAsync(TestKit.Bound);
        await session.SendCreateResultsAsync(late.CorrelationId, [(0, ResultCode.Ok)]);

        Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(TestKit.Transfer(2)).Bounded());
        Assert.Equal(0, client.ReconnectCount);
    }

    [Fact]
    public async Task Cancellation_completes_the_call_as_cancelled()
    {
        await using var server = new FakeServer();
        server.OnRequest = (_, _) => Task.CompletedTask;
        await using var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();
        using var cts = new CancellationTokenSource();

        var call = client.CreateTransfersAsync(new[] { TestKit.Transfer(1) }, cts.Token);
        var single = client.CreateTransferAsync(TestKit.Transfer(2), cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.Bounded());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => single.Bounded());
    }

    [Fact]
    public async Task Dispose_fails_pending_calls_and_later_calls()
    {
        await using var server = new FakeServer();
        server.OnRequest = (_, _) => Task.CompletedTask;
        var client = await WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded();

        var pending = Enumerable.Range(1, 5).Select(i => client.CreateTransferAsync(TestKit.Transfer((UInt128)i))).ToArray();
        var batch = client.LookupAccountsAsync(new UInt128[] { 1 });
        await TestKit.Eventually(() => server.Requests.Count >= 2, "both requests sent");
        await client.DisposeAsync().AsTask().WaitAsync(TestKit.Bound);

        foreach (var call in pending)
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(() => call.Bounded());
        }
        await Assert.ThrowsAsync<ObjectDisposedException>(() => batch.Bounded());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.CreateTransferAsync(TestKit.Transfer(9)).Bounded());
        await TestKit.Eventually(() => server.Templates.Contains(LogoutDecoder.TemplateId), "Logout sent on dispose");
    }

    [Fact]
    public async Task Full_queue_fails_fast()
    {
        await using var server = new FakeServer { MaxInFlight = 1 };
        server.OnRequest = (_, _) => Task.CompletedTask;
        var options = TestKit.Options(server.Port);
        options.MaxQueuedRequests = 2;
        await using var client = await WalletClient.ConnectAsync(options).Bounded();

        var calls = Enumerable.Range(1, 10).Select(i => client.CreateTransfersAsync(new[] { TestKit.Transfer((UInt128)i) })).ToArray();

        // At most 1 in flight + 2 queued are accepted; every other call fails at once, without being sent.
        int full = calls.Count(c => c.IsFaulted && c.Exception!.InnerException is WalletQueueFullException);
        Assert.True(full >= 7, $"{full} calls failed fast");
        await Task.Delay(50);
        Assert.True(server.Requests.Count <= 1);
    }
}
