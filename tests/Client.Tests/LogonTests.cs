using Wallet.Protocol.Sbe;

namespace Wallet.Client.Tests;

public sealed class LogonTests
{
    [Fact]
    public async Task Logon_ok_negotiates_the_smaller_limits()
    {
        await using var server = new FakeServer { MaxInFlight = 8, MaxBatchSize = 100, HeartbeatIntervalMs = 700 };
        var options = TestKit.Options(server.Port);
        options.MaxInFlight = 16;
        await using var client = await WalletClient.ConnectAsync(options).Bounded();

        Assert.Equal(8, client.Limits.MaxInFlight);
        Assert.Equal(100, client.Limits.MaxBatchSize);
        Assert.Equal(700, client.Limits.HeartbeatIntervalMs);
        Assert.Equal(1, server.Logons);
    }

    [Fact]
    public async Task Logon_rejected_throws_with_reason_and_text()
    {
        await using var server = new FakeServer();
        server.OnLogon = (s, id) => s.SendLogonRejectAsync(id, RejectReason.BadCredentials, "wrong password");

        var e = await Assert.ThrowsAsync<WalletLogonException>(() => WalletClient.ConnectAsync(TestKit.Options(server.Port)).Bounded());
        Assert.Equal(RejectReason.BadCredentials, e.Reason);
        Assert.Equal("wrong password", e.Text);
        Assert.Equal(1, server.Logons); // a reject is final: no retry with the same credential
    }

    [Fact]
    public async Task Logon_redirect_is_followed_to_the_leader()
    {
        await using var leader = new FakeServer();
        await using var follower = new FakeServer();
        follower.OnLogon = (s, id) => s.SendRedirectAsync(id, "127.0.0.1", leader.Port, term: 3);

        await using var client = await WalletClient.ConnectAsync(TestKit.Options(follower.Port)).Bounded();

        Assert.Equal(leader.Port, client.Endpoint.Port);
        Assert.Equal(1, leader.Logons);
    }

    [Fact]
    public async Task Unreachable_endpoint_fails_after_bounded_attempts()
    {
        var server = new FakeServer();
        int port = server.Port;
        await server.DisposeAsync(); // nothing listens on this port any more
        var options = TestKit.Options(port);
        options.ReconnectAttempts = 1;

        await Assert.ThrowsAsync<WalletConnectionException>(() => WalletClient.ConnectAsync(options).Bounded());
    }

    [Fact]
    public async Task Seed_endpoint_is_tried_when_the_primary_is_down()
    {
        var dead = new FakeServer();
        int deadPort = dead.Port;
        await dead.DisposeAsync();
        await using var seed = new FakeServer();
        var options = TestKit.Options(deadPort);
        options.SeedEndpoints = [new WalletEndpoint("127.0.0.1", seed.Port)];

        await using var client = await WalletClient.ConnectAsync(options).Bounded();

        Assert.Equal(seed.Port, client.Endpoint.Port);
    }

    [Fact]
    public async Task Logon_answered_Busy_during_an_election_is_retried_at_the_same_node()
    {
        // A follower's gateway answers a logon Busy while no leader is known (an election): the client must wait the
        // hint and log on again there — not count it as a protocol error (a CLI with one endpoint failed on it in CI).
        await using var server = new FakeServer();
        int busyLeft = 3;
        server.OnLogon = (s, id) => Interlocked.Decrement(ref busyLeft) >= 0
            ? s.SendBusyAsync(id, retryAfterMs: 20)
            : s.SendLogonAckAsync(id, server.HeartbeatIntervalMs, server.MaxInFlight, server.MaxFrameBytes, server.MaxBatchSize);
        var options = TestKit.Options(server.Port);
        options.ReconnectAttempts = 0; // Busy answers must not use up connection attempts

        await using var client = await WalletClient.ConnectAsync(options).Bounded();

        Assert.Equal(server.Port, client.Endpoint.Port);
        Assert.Equal(4, server.Logons);
    }

    [Fact]
    public async Task Logon_answered_Busy_for_too_long_fails_with_a_connection_error()
    {
        await using var server = new FakeServer();
        server.OnLogon = (s, id) => s.SendBusyAsync(id, retryAfterMs: 10);
        var options = TestKit.Options(server.Port);
        options.BusyRetryLimit = 3;
        options.ConnectTimeoutMs = 200;

        var e = await Assert.ThrowsAsync<WalletConnectionException>(() => WalletClient.ConnectAsync(options).Bounded());
        Assert.Contains("Busy", e.Message, StringComparison.Ordinal);
        Assert.True(server.Logons >= 4, $"{server.Logons} logons");
    }
}
