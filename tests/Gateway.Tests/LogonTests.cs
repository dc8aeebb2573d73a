using Wallet.Gateway.Tests.Support;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Tests;

public sealed class LogonTests
{
    [Fact]
    public async Task Logon_with_good_credentials_is_acknowledged_with_session_and_limits()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient c = await g.ConnectAsync();
        await c.SendMessageAsync(RawClient.Logon(42, "admin", GatewayFixture.AdminPassword, heartbeatIntervalMs: 0));
        var ack = (await c.ExpectAsync(LogonAckDecoder.TemplateId)).AsLogonAck();
        Assert.Equal(42UL, ack.CorrelationId);
        Assert.True(ack.SessionId > 0);
        Assert.Equal(1000U, ack.HeartbeatIntervalMs);
        Assert.Equal(256U, ack.MaxInFlight);
        Assert.Equal(256U * 1024, ack.MaxFrameBytes);
        Assert.Equal(1024U, ack.MaxBatchSize);
    }

    [Fact]
    public async Task Requested_heartbeat_is_clamped_to_the_allowed_range()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient c = await g.ConnectAsync();
        LogonAckResult ack = await c.LogonAsync("alice", GatewayFixture.ClientPassword, heartbeatIntervalMs: 1);
        Assert.Equal(20U, ack.HeartbeatIntervalMs);
    }

    [Theory]
    [InlineData("admin", "wrong")]
    [InlineData("nobody", "admin-secret")]
    public async Task Bad_credentials_get_LogonReject_and_the_connection_is_closed(string user, string password)
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient c = await g.ConnectAsync();
        await c.SendMessageAsync(RawClient.Logon(7, user, password));
        var reject = (await c.ExpectAsync(LogonRejectDecoder.TemplateId)).AsLogonReject();
        Assert.Equal(7UL, reject.CorrelationId);
        Assert.Equal(RejectReason.BadCredentials, reject.Reason);
        var seen = new List<Frame>();
        Assert.True(await c.WaitClosedAsync(seen, TimeSpan.FromSeconds(5)));
        Assert.Equal(LogoutDecoder.TemplateId, Assert.Single(seen).TemplateId);
    }

    [Fact]
    public async Task Empty_client_id_is_an_invalid_field()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient c = await g.ConnectAsync();
        await c.SendMessageAsync(RawClient.Logon(7, "", "x"));
        Assert.Equal(RejectReason.InvalidField, (await c.ExpectAsync(LogonRejectDecoder.TemplateId)).AsLogonReject().Reason);
    }

    [Fact]
    public async Task Requests_before_logon_are_rejected_NotLoggedOn_and_the_session_stays_usable()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient c = await g.ConnectAsync();
        await c.SendMessageAsync(RawClient.LookupAccounts(5, 1));
        var reject = (await c.ExpectAsync(RejectDecoder.TemplateId)).AsReject();
        Assert.Equal((5UL, RejectReason.NotLoggedOn, LookupAccountsDecoder.TemplateId), (reject.CorrelationId, reject.Reason, reject.RefTemplateId));
        await c.LogonAsync("admin", GatewayFixture.AdminPassword);
        Assert.Empty(await c.LookupAccountsAsync(1));
    }

    [Fact]
    public async Task A_second_logon_is_rejected_AlreadyLoggedOn()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient c = await g.AdminAsync();
        await c.SendMessageAsync(RawClient.Logon(9, "admin", GatewayFixture.AdminPassword));
        Assert.Equal(RejectReason.AlreadyLoggedOn, (await c.ExpectAsync(RejectDecoder.TemplateId)).AsReject().Reason);
    }

    [Fact]
    public async Task Logout_is_answered_and_the_connection_closed()
    {
        await using GatewayFixture g = GatewayFixture.Start();
        await using RawClient c = await g.AdminAsync();
        await c.SendMessageAsync(RawClient.Logout());
        var seen = new List<Frame>();
        Assert.True(await c.WaitClosedAsync(seen, TimeSpan.FromSeconds(5)));
        Assert.Contains(seen, f => f.TemplateId == LogoutDecoder.TemplateId);
    }

    [Fact]
    public async Task Server_heartbeats_then_cuts_an_idle_client()
    {
        await using GatewayFixture g = GatewayFixture.Start(o => new GatewayOptions
        {
            Port = 0, MinHeartbeatIntervalMs = 20, HeartbeatIntervalMs = 1000, IdleTimeoutIntervals = 3, CloseLingerMs = 200,
        });
        await using RawClient c = await g.ConnectAsync();
        Assert.Equal(100U, (await c.LogonAsync("admin", GatewayFixture.AdminPassword, heartbeatIntervalMs: 100)).HeartbeatIntervalMs);
        // Stay alive for a while by heartbeating: the server must not cut us, and must heartbeat us.
        var seen = new List<Frame>();
        for (int i = 0; i < 6; i++)
        {
            await Task.Delay(60);
            await c.SendMessageAsync(RawClient.Heartbeat());
        }
        Frame hb = await c.ExpectAsync(HeartbeatDecoder.TemplateId, TimeSpan.FromSeconds(2));
        Assert.True(HeartbeatDecoder.WrapWithHeader(hb.Message, 0).TimestampNs > 0);
        // Now go silent: after 3 intervals (300 ms) the server logs us out and closes.
        Assert.True(await c.WaitClosedAsync(seen, TimeSpan.FromSeconds(5)));
        Frame logout = Assert.Single(seen, f => f.TemplateId == LogoutDecoder.TemplateId);
        Assert.Contains("idle", logout.AsLogout(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_that_never_logs_on_is_closed_after_the_logon_timeout()
    {
        await using GatewayFixture g = GatewayFixture.Start(o => new GatewayOptions { Port = 0, MinHeartbeatIntervalMs = 20, LogonTimeoutMs = 200, CloseLingerMs = 200 });
        await using RawClient c = await g.ConnectAsync();
        var seen = new List<Frame>();
        Assert.True(await c.WaitClosedAsync(seen, TimeSpan.FromSeconds(5)));
        Assert.Contains("logon timeout", Assert.Single(seen).AsLogout(), StringComparison.Ordinal);
    }
}

public sealed class LogonConcurrencyTests
{
    [Fact]
    public async Task Logons_beyond_the_concurrent_password_checks_get_Busy_and_may_retry()
    {
        await using GatewayFixture g = GatewayFixture.Start(o => new GatewayOptions { Port = 0, MaxConcurrentLogons = 1 });
        // The "slow" user's check holds the only slot until the test opens the gate: no timing assumptions.
        using var slotTaken = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        g.Gateway.Context.PasswordCheckHook = name =>
        {
            if (name != "slow") return;
            slotTaken.Set();
            Assert.True(gate.Wait(TimeSpan.FromSeconds(10)), "the test never released the slow logon");
        };
        await using RawClient slow = await g.ConnectAsync();
        await using RawClient other = await g.ConnectAsync();
        await slow.SendMessageAsync(RawClient.Logon(1, "slow", GatewayFixture.ClientPassword));
        Assert.True(slotTaken.Wait(TimeSpan.FromSeconds(10)), "the slow logon never claimed its password-check slot");
        Assert.Equal(1, g.Gateway.LogonsInProgress);
        // While the slow check holds the only slot, another logon is told to retry.
        await other.SendMessageAsync(RawClient.Logon(2, "alice", GatewayFixture.ClientPassword));
        var busy = (await other.ExpectAsync(BusyDecoder.TemplateId)).AsBusy();
        Assert.Equal(2UL, busy.CorrelationId);
        gate.Set();
        Assert.Equal(LogonAckDecoder.TemplateId, (await slow.ExpectAsync(LogonAckDecoder.TemplateId)).TemplateId);
        // The slot is free again: the retry succeeds on the same connection.
        await other.LogonAsync("alice", GatewayFixture.ClientPassword);
    }
}
