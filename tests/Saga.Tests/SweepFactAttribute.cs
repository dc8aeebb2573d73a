namespace Wallet.Saga.Tests;

/// <summary>
/// A long seed sweep: runs only when <c>SAGASIM_SEEDS</c> is set (reported as skipped otherwise), so that the README's
/// plain <c>dotnet test</c> stays within its time budget while the sweep is one environment variable away.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SweepFactAttribute : FactAttribute
{
    public const string SeedsVariable = "SAGASIM_SEEDS";

    public SweepFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SeedsVariable))) Skip = $"set {SeedsVariable}=<count> to run the seed sweep";
    }
}
