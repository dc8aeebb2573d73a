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
}
