using System.Diagnostics;

namespace Wallet.Engine.Ledger;

/// <summary>
/// 2PC account locks. A pending transfer with <see cref="TransferFlags.LockAccounts"/> (a prepare) locks its
/// non-system accounts until it is posted, voided or expires; new transfers touching a locked account are refused
/// with <see cref="ResultCode.AccountLocked"/>. The lock table is derived from the stored pending transfers, so the
/// snapshot and the digest carry it implicitly and <see cref="RebuildLocks"/> restores it.
/// </summary>
public sealed partial class LedgerStateMachine
{
    // Lock count per account position (parallel to _accounts, grown lazily); _lockedAccountCount > 0 gates the check.
    private int[] _accountLocks = [];
    private int _lockedAccountCount;

    /// <summary>Accounts currently locked by a prepared 2PC transaction.</summary>
    public int LockedAccountCount => _lockedAccountCount;

    /// <summary>True if <paramref name="accountId"/> exists and is locked by a prepare.</summary>
    public bool IsAccountLocked(UInt128 accountId) =>
        accountId != UInt128.Zero && _accountIndex.TryGet(accountId, out var i) && IsLocked(i);

    private bool IsLocked(int accountIndex) => (uint)accountIndex < (uint)_accountLocks.Length && _accountLocks[accountIndex] != 0;

    private void AcquireLocks(in Transfer holder, int debitIndex, int creditIndex)
    {
        if (!SystemIds.IsSystem(holder.DebitAccountId)) Lock(debitIndex);
        if (!SystemIds.IsSystem(holder.CreditAccountId)) Lock(creditIndex);
    }

    private void ReleaseLocks(in Transfer holder, int debitIndex, int creditIndex)
    {
        if (!SystemIds.IsSystem(holder.DebitAccountId)) Unlock(debitIndex);
        if (!SystemIds.IsSystem(holder.CreditAccountId)) Unlock(creditIndex);
    }

    private void Lock(int accountIndex)
    {
        if (_accountLocks.Length <= accountIndex) Array.Resize(ref _accountLocks, Math.Max(_accounts.Length, accountIndex + 1));
        if (_accountLocks[accountIndex]++ == 0) _lockedAccountCount++;
    }

    private void Unlock(int accountIndex)
    {
        // Always-on guard: a release without its acquire would silently unlock another prepare's account.
        if ((uint)accountIndex >= (uint)_accountLocks.Length || _accountLocks[accountIndex] == 0)
            throw new InvalidOperationException("Ledger corruption: releasing a lock that is not held.");
        if (--_accountLocks[accountIndex] == 0) _lockedAccountCount--;
    }

    private void RebuildLocks()
    {
        Array.Clear(_accountLocks);
        _lockedAccountCount = 0;
        for (var s = 0; s < _slotHighWater; s++)
        {
            ref readonly var r = ref _slots[s];
            if (r.State != TransferState.Pending || (r.Transfer.Flags & TransferFlags.LockAccounts) == 0) continue;
            var found = _accountIndex.TryGet(r.Transfer.DebitAccountId, out var di) & _accountIndex.TryGet(r.Transfer.CreditAccountId, out var ci);
            Debug.Assert(found, "Load checked that pending transfers reference existing accounts");
            AcquireLocks(in r.Transfer, di, ci);
        }
    }
}
