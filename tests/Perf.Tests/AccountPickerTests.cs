using Wallet.Perf.Scenarios.Blp;

namespace Wallet.Perf.Tests;

public sealed class AccountPickerTests
{
    private const int Pairs = 1 << 16;

    private static double ShareBelow(AccountPicker picker, int limit)
    {
        long inside = 0;
        for (int i = 0; i < Pairs; i++)
        {
            picker.Pick(i, out int debit, out int credit);
            Assert.NotEqual(debit, credit);
            if (debit < limit) inside++;
        }
        return (double)inside / Pairs;
    }

    [Fact]
    public void Hot_distribution_sends_the_stated_share_of_picks_to_the_hot_set()
    {
        int hot = AccountPicker.HotSetSize(10_000, 1);
        Assert.Equal(100, hot);
        // 90 % from the hot set plus the uniform 10 % that lands there by chance (1 % of it).
        double share = ShareBelow(new AccountPicker(10_000, "hot", seed: 1, Pairs, hotSetPct: 1, hotTrafficPct: 90), hot);
        Assert.InRange(share, 0.89, 0.92);
        double uniform = ShareBelow(new AccountPicker(10_000, "uniform", seed: 1, Pairs), hot);
        Assert.InRange(uniform, 0.005, 0.02);
    }

    [Fact]
    public void The_same_seed_gives_the_same_workload_and_another_seed_another()
    {
        var a = new AccountPicker(1000, "zipf", seed: 5, Pairs);
        var b = new AccountPicker(1000, "zipf", seed: 5, Pairs);
        var c = new AccountPicker(1000, "zipf", seed: 6, Pairs);
        int differences = 0;
        for (int i = 0; i < Pairs; i++)
        {
            a.Pick(i, out int d1, out int c1);
            b.Pick(i, out int d2, out int c2);
            c.Pick(i, out int d3, out _);
            Assert.Equal((d1, c1), (d2, c2));
            if (d1 != d3) differences++;
        }
        Assert.True(differences > Pairs / 4);
    }

    [Fact]
    public void A_tiny_hot_set_still_has_two_accounts()
    {
        Assert.Equal(2, AccountPicker.HotSetSize(10, 0.1));
        var picker = new AccountPicker(10, "hot", seed: 3, 1024, hotSetPct: 0.1, hotTrafficPct: 100);
        for (int i = 0; i < 1024; i++)
        {
            picker.Pick(i, out int debit, out int credit);
            Assert.InRange(debit, 0, 1);
            Assert.InRange(credit, 0, 2); // a same-account pick moves the credit to the next account
        }
    }
}
