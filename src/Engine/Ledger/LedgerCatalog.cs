namespace Wallet.Engine.Ledger;

/// <summary>
/// The configured ledgers. Immutable after construction; validated (nonzero unique codes, unique non-blank
/// symbols, scale ≤ 18). Lookups by code are a binary search over a small sorted array (no hashing).
/// </summary>
public sealed class LedgerCatalog
{
    private readonly uint[] _codesSorted;
    private readonly LedgerDefinition[] _byCodeOrder;

    public LedgerCatalog(IEnumerable<LedgerDefinition> definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        var list = new List<LedgerDefinition>(definitions);
        if (list.Count == 0) throw new ArgumentException("At least one ledger must be configured.", nameof(definitions));
        list.Sort(static (a, b) => a.Code.CompareTo(b.Code));
        var symbols = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            var d = list[i] ?? throw new ArgumentException("Null ledger definition.", nameof(definitions));
            if (d.Code == 0) throw new ArgumentException("Ledger code 0 is reserved.", nameof(definitions));
            if (i > 0 && list[i - 1].Code == d.Code) throw new ArgumentException($"Duplicate ledger code {d.Code}.", nameof(definitions));
            if (string.IsNullOrWhiteSpace(d.Symbol) || d.Symbol.Length > 16 || d.Symbol.Trim().Length != d.Symbol.Length)
                throw new ArgumentException($"Ledger {d.Code}: symbol must be 1..16 characters without surrounding whitespace.", nameof(definitions));
            if (!symbols.Add(d.Symbol)) throw new ArgumentException($"Duplicate ledger symbol '{d.Symbol}'.", nameof(definitions));
            if (d.Scale > AmountText.MaxScale) throw new ArgumentException($"Ledger {d.Code}: scale {d.Scale} > {AmountText.MaxScale}.", nameof(definitions));
        }

        _byCodeOrder = list.ToArray();
        _codesSorted = new uint[_byCodeOrder.Length];
        for (var i = 0; i < _byCodeOrder.Length; i++) _codesSorted[i] = _byCodeOrder[i].Code;
    }

    public int Count => _codesSorted.Length;

    /// <summary>Definitions sorted by code.</summary>
    public IReadOnlyList<LedgerDefinition> Definitions => _byCodeOrder;

    /// <summary>Hot path (every create): a linear scan beats binary search for the handful of ledgers a partition has.</summary>
    public bool Contains(uint code)
    {
        var codes = _codesSorted;
        if (codes.Length > 16) return Array.BinarySearch(codes, code) >= 0;
        foreach (var c in codes)
        {
            if (c == code) return true;
        }

        return false;
    }

    public bool TryGet(uint code, out LedgerDefinition definition)
    {
        var i = Array.BinarySearch(_codesSorted, code);
        definition = i >= 0 ? _byCodeOrder[i] : null!;
        return i >= 0;
    }

    public bool TryGetBySymbol(string symbol, out LedgerDefinition definition)
    {
        foreach (var d in _byCodeOrder)
        {
            if (string.Equals(d.Symbol, symbol, StringComparison.Ordinal))
            {
                definition = d;
                return true;
            }
        }

        definition = null!;
        return false;
    }
}
