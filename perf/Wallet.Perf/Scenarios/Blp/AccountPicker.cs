namespace Wallet.Perf.Scenarios.Blp;

/// <summary>
/// Pre-generated (debit, credit) account pairs, uniform or Zipf-distributed, so the timed loop only copies.
/// The generator uses floating point for the distribution only (never for money) and a seeded Random:
/// the same seed gives the same workload.
/// </summary>
internal sealed class AccountPicker
{
    private readonly int[] _debit;
    private readonly int[] _credit;
    private readonly int _mask;

    public AccountPicker(int accountCount, string distribution, int seed, int pairs = 1 << 22)
    {
        if (accountCount < 2) throw new ArgumentOutOfRangeException(nameof(accountCount), accountCount, "need at least two accounts");
        _debit = new int[pairs];
        _credit = new int[pairs];
        _mask = pairs - 1;
        var random = new Random(seed);
        Func<int> next = distribution switch
        {
            "uniform" => () => random.Next(accountCount),
            "zipf" => ZipfSampler(accountCount, 1.0, random),
            _ => throw new Harness.PerfOptionsException($"--distribution must be uniform or zipf; got '{distribution}'"),
        };
        for (int i = 0; i < pairs; i++)
        {
            int d = next(), c = next();
            if (c == d) c = (d + 1) % accountCount;
            _debit[i] = d;
            _credit[i] = c;
        }
    }

    public void Pick(long n, out int debit, out int credit)
    {
        int i = (int)(n & _mask);
        debit = _debit[i];
        credit = _credit[i];
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
