using System.Globalization;

namespace Wallet.Gateway.Http;

/// <summary>
/// Node counters that exist once per partition are named <c>base{partition=N}</c> (e.g.
/// <c>partition.applied_index{partition=2}</c>): <c>wallet stat</c> prints them as they are, and /metrics turns the
/// suffix into a Prometheus label (<c>wallet_partition_applied_index{partition="2"}</c>).
/// </summary>
public static class PartitionLabel
{
    private const string Prefix = "{partition=";

    public static string Of(int partition) => Prefix + partition.ToString(CultureInfo.InvariantCulture) + "}";

    /// <summary>Splits <c>base{partition=N}</c>; false for a plain name.</summary>
    public static bool TrySplit(string key, out string name, out int partition)
    {
        ArgumentNullException.ThrowIfNull(key);
        name = key;
        partition = -1;
        int at = key.IndexOf(Prefix, StringComparison.Ordinal);
        if (at <= 0 || !key.EndsWith('}')) return false;
        if (!int.TryParse(key.AsSpan(at + Prefix.Length, key.Length - at - Prefix.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out partition)) return false;
        name = key[..at];
        return true;
    }
}
