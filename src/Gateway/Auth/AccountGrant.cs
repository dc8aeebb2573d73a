using System.Globalization;

namespace Wallet.Gateway.Auth;

/// <summary>
/// The set of account ids a user may debit: a list of inclusive ranges, parsed from entries like
/// <c>"*"</c>, <c>"1001"</c> or <c>"1000-1999"</c> (decimal). Membership is a linear scan: grants are short.
/// </summary>
public sealed class AccountGrant
{
    private readonly UInt128[] _low;
    private readonly UInt128[] _high;

    private AccountGrant(UInt128[] low, UInt128[] high)
    {
        _low = low;
        _high = high;
    }

    public static readonly AccountGrant None = new([], []);
    public static readonly AccountGrant All = new([UInt128.MinValue], [UInt128.MaxValue]);

    public bool IsEmpty => _low.Length == 0;

    public bool Contains(UInt128 accountId)
    {
        UInt128[] low = _low, high = _high;
        for (int i = 0; i < low.Length; i++)
        {
            if (accountId >= low[i] && accountId <= high[i]) return true;
        }
        return false;
    }

    /// <summary>Parses grant entries; throws <see cref="FormatException"/> naming the bad entry.</summary>
    public static AccountGrant Parse(IEnumerable<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var low = new List<UInt128>();
        var high = new List<UInt128>();
        foreach (string raw in entries)
        {
            string e = (raw ?? string.Empty).Trim();
            if (e == "*") return All;
            int dash = e.IndexOf('-', StringComparison.Ordinal);
            UInt128 a, b;
            if (dash < 0)
            {
                a = b = ParseId(e);
            }
            else
            {
                a = ParseId(e[..dash]);
                b = ParseId(e[(dash + 1)..]);
                if (b < a) throw new FormatException($"account range '{e}' is empty (end before start)");
            }
            low.Add(a);
            high.Add(b);
        }
        return low.Count == 0 ? None : new AccountGrant([.. low], [.. high]);
    }

    private static UInt128 ParseId(string s)
    {
        if (!UInt128.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out UInt128 id) || id == UInt128.Zero)
            throw new FormatException($"'{s}' is not an account id (decimal, 1..2^128-1), a range 'A-B' or '*'");
        return id;
    }
}
