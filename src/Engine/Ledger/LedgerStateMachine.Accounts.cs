using System.Diagnostics;

namespace Wallet.Engine.Ledger;

/// <summary>Create and close accounts.</summary>
public sealed partial class LedgerStateMachine
{
    private const AccountFlags KnownAccountFlags = AccountFlags.Linked | AccountFlags.DebitsMustNotExceedCredits
        | AccountFlags.CreditsMustNotExceedDebits | AccountFlags.History | AccountFlags.Closed;

    private void CreateAccounts<TSink>(ReadOnlySpan<Account> items, long firstTimestamp, Span<CreateResult> results, ref TSink sink)
        where TSink : struct, ILedgerEventSink
    {
        var n = items.Length;
        var chainStart = -1;
        for (var i = 0; i < n; i++)
        {
            // The id's bucket is a likely cache miss on a large ledger (replay creates every account): start it early.
            if (i + PrefetchIndexAhead < n) _accountIndex.Prefetch(items[i + PrefetchIndexAhead].Id);
            ref readonly var item = ref items[i];
            var linked = (item.Flags & AccountFlags.Linked) != 0;
            if (linked && chainStart < 0)
            {
                chainStart = i;
                BeginChain();
            }

            var code = linked && i == n - 1 ? ResultCode.LinkedEventChainOpen : CreateAccount(in item, firstTimestamp + i, ref sink);
            results[i] = new CreateResult(i, code);
            if (chainStart >= 0) i = SettleChain(items, i, code, ref chainStart, results, ref sink);
        }

        Debug.Assert(chainStart < 0);
    }

    private ResultCode CreateAccount<TSink>(in Account a, long timestamp, ref TSink sink) where TSink : struct, ILedgerEventSink
    {
        if (a.Timestamp != 0) return ResultCode.TimestampMustBeZero;
        if ((a.Flags & ~KnownAccountFlags) != 0) return ResultCode.ReservedFlag;
        if (!a.ReservedIsZero) return ResultCode.ReservedField;
        if (a.Id == UInt128.Zero) return ResultCode.IdMustNotBeZero;
        if (a.Id == UInt128.MaxValue) return ResultCode.IdMustNotBeIntMax;
        if (!_systemCommand && SystemIds.IsSystem(a.Id)) return ResultCode.IdReservedForSystem;
        const AccountFlags bothLimits = AccountFlags.DebitsMustNotExceedCredits | AccountFlags.CreditsMustNotExceedDebits;
        if ((a.Flags & bothLimits) == bothLimits) return ResultCode.FlagsAreMutuallyExclusive;
        if ((a.Flags & AccountFlags.Closed) != 0) return ResultCode.ClosedFlagMustNotBeSet;
        if (a.DebitsPending != 0) return ResultCode.DebitsPendingMustBeZero;
        if (a.DebitsPosted != 0) return ResultCode.DebitsPostedMustBeZero;
        if (a.CreditsPending != 0) return ResultCode.CreditsPendingMustBeZero;
        if (a.CreditsPosted != 0) return ResultCode.CreditsPostedMustBeZero;
        if (a.Ledger == 0) return ResultCode.LedgerMustNotBeZero;
        if (!_catalog.Contains(a.Ledger)) return ResultCode.LedgerNotConfigured;
        if (a.Code == 0) return ResultCode.CodeMustNotBeZero;

        if (_accountIndex.TryGet(a.Id, out var existingIndex, out var insertAt)) return CompareExisting(in a, in _accounts[existingIndex]);
        if (_accountCount >= _options.MaxAccounts) return ResultCode.AccountsLimitReached;

        EnsureAccountCapacity();
        var index = _accountCount;
        CaptureBeforeAccountWrite(index); // past the capture's count: never copies; kept so every write site is covered
        ref var stored = ref _accounts[index];
        stored = a;
        stored.Flags &= ~AccountFlags.Linked; // chain membership belongs to the submission, not the account
        stored.Timestamp = timestamp;
        _accountIndex.AddAt(insertAt, a.Id, index); // nothing changed the index since the lookup
        _accountCount++;
        if (_inChain)
        {
            PushUndo(UndoKind.AccountCreated, index);
            NextBufferedEvent(BufferedEventKind.AccountCreated).First = stored;
        }
        else
        {
            sink.OnAccountCreated(in stored);
        }

        return ResultCode.Ok;
    }

    private static ResultCode CompareExisting(in Account a, in Account e)
    {
        if ((a.Flags & ~AccountFlags.Linked) != (e.Flags & ~AccountFlags.Closed)) return ResultCode.ExistsWithDifferentFlags;
        if (a.UserData128 != e.UserData128) return ResultCode.ExistsWithDifferentUserData128;
        if (a.UserData64 != e.UserData64) return ResultCode.ExistsWithDifferentUserData64;
        if (a.UserData32 != e.UserData32) return ResultCode.ExistsWithDifferentUserData32;
        if (a.Ledger != e.Ledger) return ResultCode.ExistsWithDifferentLedger;
        if (a.Code != e.Code) return ResultCode.ExistsWithDifferentCode;
        return ResultCode.Exists;
    }

    private void CloseAccounts<TSink>(ReadOnlySpan<UInt128> ids, Span<CreateResult> results, ref TSink sink)
        where TSink : struct, ILedgerEventSink
    {
        for (var i = 0; i < ids.Length; i++)
        {
            results[i] = new CreateResult(i, CloseAccount(ids[i], ref sink));
        }
    }

    private ResultCode CloseAccount<TSink>(UInt128 id, ref TSink sink) where TSink : struct, ILedgerEventSink
    {
        if (id == UInt128.Zero) return ResultCode.IdMustNotBeZero;
        if (id == UInt128.MaxValue) return ResultCode.IdMustNotBeIntMax;
        if (!_accountIndex.TryGet(id, out var index)) return ResultCode.AccountNotFound;
        ref var account = ref _accounts[index];
        if ((account.Flags & AccountFlags.Closed) != 0) return ResultCode.AccountAlreadyClosed;
        // Refused rather than auto-voiding: holds are commitments the client must resolve explicitly.
        if (account.DebitsPending != 0 || account.CreditsPending != 0) return ResultCode.AccountHasPendingTransfers;
        CaptureBeforeAccountWrite(index);
        account.Flags |= AccountFlags.Closed;
        sink.OnAccountClosed(in account);
        return ResultCode.Ok;
    }
}
