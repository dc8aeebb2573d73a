using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Perf.Scenarios.Blp;

namespace Wallet.Perf.Scenarios.Serve;

/// <summary>
/// The e2e load's account ids when the server hosts several partitions (<c>--partitions N</c>): account index i lives
/// on partition i mod N (its id is the next id that <see cref="PartitionMap"/> puts there), so the picker's pairs can
/// be kept inside one partition, or sent across partitions for <c>--cross-pct</c> % of the transfers (chosen by a hash
/// of the transfer id: deterministic, spread evenly). With one partition the ids are 1..accounts, as they always were.
/// </summary>
internal sealed class PartitionedAccounts
{
    private readonly UInt128[] _ids;
    private readonly int _partitions;
    private readonly int _crossPct;

    public PartitionedAccounts(int accounts, int partitions, int crossPct)
    {
        if (partitions < 1) throw new ArgumentOutOfRangeException(nameof(partitions));
        if (accounts < 4 * partitions) throw new Harness.PerfOptionsException($"--accounts must be at least 4 per partition ({4 * partitions} for {partitions})");
        if (crossPct is < 0 or > 100 || (crossPct > 0 && partitions == 1)) throw new Harness.PerfOptionsException("--cross-pct must be in [0, 100] and needs --partitions 2 or more");
        _partitions = partitions;
        _crossPct = crossPct;
        _ids = new UInt128[accounts];
        var map = PartitionMap.Uniform(partitions);
        var next = new int[partitions]; // the next free index of each partition: p, p + N, p + 2N, ...
        for (int p = 0; p < partitions; p++) next[p] = p;
        int filled = 0;
        for (ulong id = 1; filled < accounts; id++)
        {
            int p = partitions == 1 ? 0 : map.PartitionOf(id);
            if (next[p] >= accounts) continue;
            _ids[next[p]] = id;
            next[p] += partitions;
            filled++;
        }
    }

    public int Count => _ids.Length;

    public UInt128 Id(int index) => _ids[index];

    public Transfer NewTransfer(long id, AccountPicker picker)
    {
        picker.Pick(id, out int debit, out int credit);
        if (_partitions > 1)
        {
            int from = debit % _partitions;
            bool cross = _crossPct > 0 && (int)(((ulong)id * 0x9E3779B97F4A7C15UL) >> 57) * 100 / 128 < _crossPct;
            int to = cross ? (from + 1 + credit % (_partitions - 1)) % _partitions : from;
            int c = credit - credit % _partitions + to;
            if (c >= _ids.Length) c -= _partitions;
            if (c == debit) c = c + _partitions < _ids.Length ? c + _partitions : c - _partitions;
            credit = c;
        }
        return new Transfer { Id = (UInt128)id, DebitAccountId = _ids[debit], CreditAccountId = _ids[credit], Amount = 1, Ledger = 1, Code = 1 };
    }
}
