using Wallet.Perf.Harness;
using Wallet.Perf.Scenarios.Blp;

namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>The options every baseline shares, with the same names and limits as the e2e scenario so a run can mirror it.</summary>
internal sealed class BaselineSettings
{
    public const int MaxConnections = 64;

    public static IReadOnlyList<OptionSpec> Options { get; } =
    [
        new(LoadOptions.Connections, "client connections (alias --clients), [1, 64]", "4"),
        new(LoadOptions.Accounts, "accounts loaded first, [2, 1000000]", "10000"),
        new("--rates", "open-loop offered rates (transfers/s), comma list; empty = skip (or --rate N; --rate 0 = closed loop only)", "1000,5000"),
        .. LoadOptions.DistributionSpecs,
        new("--compare-tps", "our engine's closed-loop transfers/s to print a ratio against (0 = no ratio)", "0"),
        LoadOptions.SweepSpec,
    ];

    private BaselineSettings(int connections, int accounts, int[] rates, AccountPicker picker, long compareTps)
    {
        Connections = connections;
        Accounts = accounts;
        Rates = rates;
        Picker = picker;
        CompareTps = compareTps;
    }

    public int Connections { get; }

    public int Accounts { get; }

    public int[] Rates { get; }

    public AccountPicker Picker { get; }

    /// <summary>Our engine's figure given by the user (<c>--compare-tps</c>); 0 = none.</summary>
    public long CompareTps { get; }

    public static BaselineSettings Parse(PerfOptions options)
    {
        int connections = (int)options.ExtraLong(LoadOptions.Connections, 4, 1, MaxConnections);
        int accounts = (int)options.ExtraLong(LoadOptions.Accounts, 10_000, 2, 1_000_000);
        int[] rates = LoadOptions.Rates(options, "1000,5000");
        long compare = options.ExtraLong("--compare-tps", 0, 0, PerfOptions.MaxRate);
        var picker = LoadOptions.Picker(options, accounts, pairs: 1 << 20);
        return new BaselineSettings(connections, accounts, rates, picker, compare);
    }
}
