using Wallet.Engine.Ledger;

namespace Wallet.Client.Tests;

internal static class TestKit
{
    /// <summary>Upper bound for any single wait in a test: a hang fails the test instead of the run.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public static WalletClientOptions Options(int port) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        ClientId = "test-client",
        Credential = "secret",
        ConnectTimeoutMs = 2_000,
        RequestTimeoutMs = 5_000,
        ReconnectAttempts = 3,
        ReconnectInitialBackoffMs = 10,
        ReconnectMaxBackoffMs = 50,
    };

    public static Transfer Transfer(UInt128 id, long amount = 100) => new()
    {
        Id = id,
        DebitAccountId = 1,
        CreditAccountId = 2,
        Amount = amount,
        Ledger = 1,
        Code = 1,
    };

    public static Task<T> Bounded<T>(this Task<T> task) => task.WaitAsync(Bound);

    /// <summary>Polls a condition every 5 ms (no spin), failing after <see cref="Bound"/>.</summary>
    public static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("not reached within bound: " + what);
            }
            await Task.Delay(5);
        }
    }
}
