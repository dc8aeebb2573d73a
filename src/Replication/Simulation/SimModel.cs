using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;

namespace Wallet.Replication.Simulation;

/// <summary>
/// The reference model the replicated ledger is checked against: a deliberately naive, independent implementation
/// of the subset of ledger rules the workload exercises (account creation, single-phase transfers, idempotent ids,
/// not-found accounts, the debits-must-not-exceed-credits limit). It is fed each committed command once, in log
/// order, and predicts every item's result and every balance.
/// </summary>
internal sealed class SimModel
{
    private readonly Dictionary<UInt128, ModelAccount> _accounts = new();
    private readonly Dictionary<UInt128, ModelTransfer> _transfers = new();

    public int TransfersPosted => _transfers.Count;

    public IEnumerable<KeyValuePair<UInt128, ModelTransfer>> Transfers => _transfers;

    public bool TryGetAccount(UInt128 id, out ModelAccount account) => _accounts.TryGetValue(id, out account!);

    /// <summary>Predicted results of one committed command (empty for non-ledger entries).</summary>
    public ResultCode[] Apply(ushort type, ReadOnlySpan<byte> payload)
    {
        switch ((CommandKind)type)
        {
            case CommandKind.CreateAccounts:
            {
                var items = MemoryMarshal.Cast<byte, Account>(payload);
                var results = new ResultCode[items.Length];
                for (var i = 0; i < items.Length; i++)
                {
                    ref readonly var a = ref items[i];
                    if (_accounts.ContainsKey(a.Id))
                    {
                        results[i] = ResultCode.Exists;
                        continue;
                    }

                    _accounts[a.Id] = new ModelAccount { Flags = a.Flags };
                    results[i] = ResultCode.Ok;
                }

                return results;
            }
            case CommandKind.CreateTransfers:
            {
                var items = MemoryMarshal.Cast<byte, Transfer>(payload);
                var results = new ResultCode[items.Length];
                for (var i = 0; i < items.Length; i++) results[i] = ApplyTransfer(in items[i]);
                return results;
            }
            default:
                return [];
        }
    }

    private ResultCode ApplyTransfer(in Transfer t)
    {
        if (_transfers.TryGetValue(t.Id, out var existing))
        {
            if (existing.Debit != t.DebitAccountId || existing.Credit != t.CreditAccountId || existing.Amount != t.Amount)
                throw new InvalidOperationException("The workload never reuses an id with different fields.");
            return ResultCode.Exists;
        }

        if (!_accounts.TryGetValue(t.DebitAccountId, out var debit)) return ResultCode.DebitAccountNotFound;
        if (!_accounts.TryGetValue(t.CreditAccountId, out var credit)) return ResultCode.CreditAccountNotFound;
        if ((debit.Flags & AccountFlags.DebitsMustNotExceedCredits) != 0 && debit.DebitsPosted + t.Amount > debit.CreditsPosted)
            return ResultCode.ExceedsCredits;
        debit.DebitsPosted += t.Amount;
        credit.CreditsPosted += t.Amount;
        _transfers[t.Id] = new ModelTransfer(t.DebitAccountId, t.CreditAccountId, t.Amount);
        return ResultCode.Ok;
    }
}

internal sealed class ModelAccount
{
    public AccountFlags Flags { get; init; }
    public long DebitsPosted { get; set; }
    public long CreditsPosted { get; set; }
}

internal readonly record struct ModelTransfer(UInt128 Debit, UInt128 Credit, long Amount);
