namespace Wallet.Perf.Scenarios.Blp;

/// <summary>
/// Pre-generated (debit, credit) account pairs, uniform, Zipf or hot-set distributed, so the timed loop only copies.
/// The generator uses floating point for the distribution only (never for money) and a seeded Random:
/// the same seed gives the same workload.
/// </summary>
internal sealed class AccountPicker
{
    private readonly int[] _debit;
    private readonly int[] _credit;
    private readonly int _mask;

    /// <param name="accountCount">Accounts 0 .. accountCount - 1.</param>
    /// <param name="distribution">uniform | zipf | hot.</param>
    /// <param name="seed">Same seed, same pairs.</param>
    /// <param name="pairs">Power of two: pairs generated before the run (then reused cyclically).</param>
    /// <param name="hotSetPct">hot: the hot set's share of the accounts (at least one account).</param>
    /// <param name="hotTrafficPct">hot: the share of picks drawn from the hot set (the rest is uniform over all).</param>
    public AccountPicker(int accountCount, string distribution, int seed, int pairs = 1 << 22, double hotSetPct = 1, double hotTrafficPct = 90)
    {
        if (accountCount < 2) throw new ArgumentOutOfRangeException(nameof(accountCount), accountCount, "need at least two accounts");
        if (pairs <= 0 || (pairs & (pairs - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(pairs), pairs, "must be a power of two");
        _debit = new int[pairs];
        _credit = new int[pairs];
        _mask = pairs - 1;
        var random = new Random(seed);
        Func<int> next = distribution switch
        {
            "uniform" => () => random.Next(accountCount),
            "zipf" => ZipfSampler(accountCount, 1.0, random),
            "hot" => HotSampler(accountCount, hotSetPct, hotTrafficPct, random),
            _ => throw new Harness.PerfOptionsException($"--distribution must be one of {Harness.LoadOptions.DistributionChoices}; got '{distribution}'"),
        };
        for (int i = 0; i < pairs; i++)
        {
            int d = next(), c = next();
            if (c == d) c = (d + 1) % accountCount;
            _debit[i] = d;
            _credit[i] = c;
        }
    }

    /// <summary>Accounts in the hot set of <see cref="HotSampler"/> for these parameters (for tests and notes).</summary>
    public static int HotSetSize(int accountCount, double hotSetPct) => Math.Clamp((int)(accountCount * hotSetPct / 100), 2, accountCount);

    public void Pick(long n, out int debit, out int credit)
    {
        int i = (int)(n & _mask);
        debit = _debit[i];
        credit = _credit[i];
    }

    /// <summary>Hot set = accounts 0 .. size - 1 (at least two, so a transfer inside it has two sides).</summary>
    private static Func<int> HotSampler(int n, double setPct, double trafficPct, Random random)
    {
        int size = HotSetSize(n, setPct);
        double hotShare = trafficPct / 100;
        return () => random.NextDouble() < hotShare ? random.Next(size) : random.Next(n);
    }

    /// <summary>Zipf(s) over ranks 1..n by inverse CDF; rank r maps to a scattered account so hot accounts are not adjacent.</summary>
    private static Func<int> ZipfSampler(int n, double s, Random random)
    {
        var cdf = new double[n];
        double sum = 0;
        for (int r = 1; r <= n; r++)
        {
            sum += 1.0 / Math.Pow(r, s);
            cdf[r - 1] = sum;
        }
        for (int r = 0; r < n; r++) cdf[r] /= sum;
        long stride = 2_654_435_761L % n; // a multiplier coprime to n in practice: scatters ranks over ids
        if (stride == 0) stride = 1;
        return () =>
        {
            int rank = Array.BinarySearch(cdf, random.NextDouble());
            if (rank < 0) rank = ~rank;
            if (rank >= n) rank = n - 1;
            return (int)((rank * stride) % n);
        };
    }
}
