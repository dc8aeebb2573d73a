namespace Wallet.Engine.Ledger;

/// <summary>
/// Whole-state checks for tests, the simulator and restore (O(accounts + transfers), allocates; never on the
/// hot path): double entry per ledger (Σ credits_posted − debits_posted = 0 and Σ credits_pending −
/// debits_pending = 0, computed in Int128 so they cannot overflow), no negative balances, the balance-limit
/// flags, and pending balances equal to the sum of live holds per account.
/// </summary>
public static class LedgerInvariants
{
    public static void Check(LedgerStateMachine machine)
    {
        if (!TryCheck(machine, out var violation)) throw new InvalidOperationException(violation);
    }

    public static bool TryCheck(LedgerStateMachine machine, out string? violation)
    {
        ArgumentNullException.ThrowIfNull(machine);
        var accounts = machine.Accounts;
        var posted = new SortedDictionary<uint, Int128>();
        var pending = new SortedDictionary<uint, Int128>();
        var index = new Dictionary<UInt128, int>(accounts.Length);
        var debitsHeld = new Int128[accounts.Length];
        var creditsHeld = new Int128[accounts.Length];
        for (var i = 0; i < accounts.Length; i++)
        {
            ref readonly var a = ref accounts[i];
            index[a.Id] = i;
            if (a.DebitsPending < 0 || a.DebitsPosted < 0 || a.CreditsPending < 0 || a.CreditsPosted < 0)
                return Fail($"account {a.Id}: negative balance field", out violation);
            if ((a.Flags & AccountFlags.DebitsMustNotExceedCredits) != 0 && (Int128)a.DebitsPending + a.DebitsPosted > a.CreditsPosted)
                return Fail($"account {a.Id}: debits exceed credits", out violation);
            if ((a.Flags & AccountFlags.CreditsMustNotExceedDebits) != 0 && (Int128)a.CreditsPending + a.CreditsPosted > a.DebitsPosted)
                return Fail($"account {a.Id}: credits exceed debits", out violation);
            posted.TryGetValue(a.Ledger, out var p);
            posted[a.Ledger] = p + a.CreditsPosted - a.DebitsPosted;
            pending.TryGetValue(a.Ledger, out var q);
            pending[a.Ledger] = q + a.CreditsPending - a.DebitsPending;
        }

        foreach (var (ledger, sum) in posted)
        {
            if (sum != 0) return Fail($"ledger {ledger}: posted balances do not sum to zero ({sum})", out violation);
        }

        foreach (var (ledger, sum) in pending)
        {
            if (sum != 0) return Fail($"ledger {ledger}: pending balances do not sum to zero ({sum})", out violation);
        }

        var holds = 0;
        foreach (ref readonly var r in machine.Slots)
        {
            if (r.State != TransferState.Pending) continue;
            holds++;
            if (!index.TryGetValue(r.Transfer.DebitAccountId, out var d) || !index.TryGetValue(r.Transfer.CreditAccountId, out var c))
                return Fail($"pending transfer {r.Transfer.Id}: account missing", out violation);
            debitsHeld[d] += r.Transfer.Amount;
            creditsHeld[c] += r.Transfer.Amount;
        }

        if (holds != machine.PendingTransferCount) return Fail($"pending count {machine.PendingTransferCount} != live holds {holds}", out violation);
        for (var i = 0; i < accounts.Length; i++)
        {
            if (debitsHeld[i] != accounts[i].DebitsPending || creditsHeld[i] != accounts[i].CreditsPending)
                return Fail($"account {accounts[i].Id}: pending balances differ from live holds", out violation);
        }

        violation = null;
        return true;
    }

    private static bool Fail(string message, out string? violation)
    {
        violation = message;
        return false;
    }
}
