using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Saga;

/// <summary>
/// The clearing account of each (partition, ledger): id = <see cref="SystemIds.ClearingAccountId"/>(ledger, n) with the
/// smallest n that <see cref="PartitionMap"/> places in that partition. A pure function of the map and the catalog.
/// </summary>
public sealed class ClearingAccounts
{
    private const uint MaxProbe = 1 << 20;

    private readonly uint[] _ledgers;
    private readonly UInt128[] _ids; // [partition * ledgers + ledgerPosition]

    public ClearingAccounts(PartitionMap map, LedgerCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(catalog);
        var definitions = catalog.Definitions;
        _ledgers = new uint[definitions.Count];
        for (var i = 0; i < _ledgers.Length; i++) _ledgers[i] = definitions[i].Code;
        PartitionCount = map.PartitionCount;
        _ids = new UInt128[PartitionCount * _ledgers.Length];
        for (var l = 0; l < _ledgers.Length; l++)
        {
            var remaining = PartitionCount;
            for (uint n = 0; remaining > 0; n++)
            {
                // Every partition owns a slot and ids spread over slots, so this ends fast; the bound is a guard.
                if (n >= MaxProbe) throw new InvalidOperationException($"no clearing id found for every partition of ledger {_ledgers[l]}");
                var id = SystemIds.ClearingAccountId(_ledgers[l], n);
                ref var cell = ref _ids[map.PartitionOf(id) * _ledgers.Length + l];
                if (cell != UInt128.Zero) continue;
                cell = id;
                remaining--;
            }
        }
    }

    public int PartitionCount { get; }

    /// <summary>The configured ledgers, in catalog order.</summary>
    public ReadOnlySpan<uint> Ledgers => _ledgers;

    /// <summary>The clearing account of <paramref name="ledger"/> in <paramref name="partition"/>; false for an unknown ledger.</summary>
    public bool TryGet(int partition, uint ledger, out UInt128 id)
    {
        for (var l = 0; l < _ledgers.Length; l++)
        {
            if (_ledgers[l] != ledger) continue;
            id = _ids[partition * _ledgers.Length + l];
            return true;
        }

        id = UInt128.Zero;
        return false;
    }

    /// <summary>The accounts to create (idempotently, with <see cref="CommandKind.SystemCreateAccounts"/>) in <paramref name="partition"/>.</summary>
    public Account[] AccountsOf(int partition)
    {
        var accounts = new Account[_ledgers.Length];
        for (var l = 0; l < _ledgers.Length; l++)
        {
            accounts[l] = new Account { Id = _ids[partition * _ledgers.Length + l], Ledger = _ledgers[l], Code = ClearingAccountCode };
        }

        return accounts;
    }

    /// <summary>Account code of clearing accounts (informational; no flags: no balance limits).</summary>
    public const ushort ClearingAccountCode = 0xC1EA;
}
