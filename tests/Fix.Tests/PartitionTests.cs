using Wallet.Engine.Partition;
using Wallet.Fix.Tests.Support;

namespace Wallet.Fix.Tests;

/// <summary>
/// The FIX acceptor in front of two partitions: a TransferRequest whose accounts share a partition is applied there; one
/// whose accounts live on different partitions is refused with a BusinessMessageReject, nothing applied (the FIX
/// acceptor does not carry cross-partition transfers), instead of reaching a partition that lacks the credit account.
/// </summary>
public sealed class PartitionTests : IAsyncLifetime
{
    private static readonly PartitionMap s_map = PartitionMap.Uniform(2);
    private readonly TempDirectory _dir = new("fix-partitions");
    private FixFixture _f = null!;

    public async Task InitializeAsync() => _f = await FixFixture.StartAsync(_dir.Path, partitions: 2);

    public async Task DisposeAsync()
    {
        await _f.DisposeAsync();
        _dir.Dispose();
    }

    private static ulong IdOn(int partition, ulong from)
    {
        for (ulong id = from; ; id++)
        {
            if (s_map.PartitionOf(id) == partition) return id;
        }
    }

    private static async Task<string> BalanceAsync(RawFixClient c, ulong account)
    {
        c.Send("UQ", $"5030=q-{account}|5020={account}|");
        return (await c.ReceiveTypeAsync("UP"))[5035];
    }

    [Fact(Timeout = 60_000)]
    public async Task Same_partition_transfers_apply_and_a_cross_partition_one_is_refused_whole()
    {
        ulong a = IdOn(0, 1000), b = IdOn(0, a + 1), c2 = IdOn(1, 1000);
        await using RawFixClient c = await _f.LogonAsync();
        foreach (ulong id in new[] { a, b, c2 })
        {
            c.Send("UA", $"5020={id}|15=USD|");
            Assert.Equal("0", (await c.ReceiveTypeAsync("UB"))[5010]);
        }
        c.Send("UT", $"5001=1|5002={a}|5003={b}|5004=5.00|15=USD|");
        Assert.Equal("0", (await c.ReceiveTypeAsync("UR"))[5010]);

        int seq = c.Send("UT", $"5001=2|5002={a}|5003={c2}|5004=1.00|15=USD|");
        FixReply r = await c.ReceiveTypeAsync("j");
        Assert.Equal(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), r[45]);
        Assert.Contains("different partitions", r[58], StringComparison.Ordinal);

        Assert.Equal("-5.00", await BalanceAsync(c, a));
        Assert.Equal("0.00", await BalanceAsync(c, c2));
        // Partition 0 applied accounts a, b and the transfer; partition 1 only its account (reads are not commands).
        Assert.Equal(3, _f.Partitions[0].AppliedIndex);
        Assert.Equal(1, _f.Partitions[1].AppliedIndex);
    }
}
