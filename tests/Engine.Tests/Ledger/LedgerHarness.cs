using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;

namespace Wallet.Engine.Tests.Ledger;

/// <summary>Records every event as a line of text (tests only; allocation is fine here).</summary>
internal struct RecordingSink(List<string> lines) : ILedgerEventSink
{
    public readonly List<string> Lines = lines;

    private static string A(in Account a) => $"{a.Id}[dp={a.DebitsPending},dP={a.DebitsPosted},cp={a.CreditsPending},cP={a.CreditsPosted},f={a.Flags}]";
    private static string T(in Transfer t) => $"{t.Id}:{t.DebitAccountId}->{t.CreditAccountId}:{t.Amount}:{t.Flags}:p{t.PendingId}@{t.Timestamp}";

    public readonly void OnAccountCreated(in Account account) => Lines.Add("created " + A(account) + "@" + account.Timestamp);
    public readonly void OnAccountClosed(in Account account) => Lines.Add("closed " + A(account));
    public readonly void OnTransferPosted(in Transfer transfer, in Account debitAfter, in Account creditAfter) => Lines.Add($"posted {T(transfer)} {A(debitAfter)} {A(creditAfter)}");
    public readonly void OnPendingCreated(in Transfer transfer, in Account debitAfter, in Account creditAfter) => Lines.Add($"pending {T(transfer)} {A(debitAfter)} {A(creditAfter)}");
    public readonly void OnPendingPosted(in Transfer post, in Transfer pending, in Account debitAfter, in Account creditAfter) => Lines.Add($"post {T(post)} of {T(pending)} {A(debitAfter)} {A(creditAfter)}");
    public readonly void OnPendingVoided(in Transfer voidTransfer, in Transfer pending, in Account debitAfter, in Account creditAfter) => Lines.Add($"void {T(voidTransfer)} of {T(pending)} {A(debitAfter)} {A(creditAfter)}");
    public readonly void OnPendingExpired(in Transfer pending, long expiredAtTimestamp, in Account debitAfter, in Account creditAfter) => Lines.Add($"expired {T(pending)} at {expiredAtTimestamp} {A(debitAfter)} {A(creditAfter)}");
}

/// <summary>Drives a state machine with a monotonic stamp and records events. Ledgers: 1 USD(2), 2 EUR(2), 3 JPY(0).</summary>
internal sealed class LedgerHarness
{
    public const long StartTimestamp = 1_700_000_000_000_000_000;
    public const long Second = 1_000_000_000;

    public LedgerHarness(int maxAccounts = 64, int maxBatchSize = 64, int maxPending = 16, int retentionCount = 1024, long retentionNs = 0)
        : this(new LedgerStateMachine(Options(maxAccounts, maxBatchSize, maxPending, retentionCount, retentionNs)))
    {
    }

    public LedgerHarness(LedgerStateMachine machine)
    {
        Machine = machine;
        Index = machine.LastIndex;
        Timestamp = Math.Max(machine.LastTimestamp, StartTimestamp);
    }

    public static LedgerCatalog Catalog { get; } = new([new LedgerDefinition(1, "USD", 2), new LedgerDefinition(2, "EUR", 2), new LedgerDefinition(3, "JPY", 0)]);

    public static LedgerOptions Options(int maxAccounts = 64, int maxBatchSize = 64, int maxPending = 16, int retentionCount = 1024, long retentionNs = 0) => new()
    {
        Catalog = Catalog,
        MaxAccounts = maxAccounts,
        MaxBatchSize = maxBatchSize,
        MaxPendingTransfers = maxPending,
        TransferRetentionCount = retentionCount,
        TransferRetentionNs = retentionNs,
    };

    public LedgerStateMachine Machine { get; }
    public List<string> Events { get; } = [];
    public long Index { get; private set; }
    public long Timestamp { get; private set; }

    public void Advance(long ns) => Timestamp += ns;

    public CreateResult[] Execute(CommandKind kind, ReadOnlySpan<byte> payload)
    {
        var count = LedgerStateMachine.ItemCountOf(kind, payload.Length);
        Timestamp += count + 1;
        Index++;
        var results = new CreateResult[Math.Max(count, 1)];
        var sink = new RecordingSink(Events);
        var n = Machine.Execute(new CommandStamp(Index, 1, Timestamp), kind, payload, results, ref sink);
        return results[..n];
    }

    public ResultCode[] CreateAccounts(params Account[] accounts) =>
        Codes(Execute(CommandKind.CreateAccounts, MemoryMarshal.AsBytes(accounts.AsSpan())));

    public ResultCode[] CreateTransfers(params Transfer[] transfers) =>
        Codes(Execute(CommandKind.CreateTransfers, MemoryMarshal.AsBytes(transfers.AsSpan())));

    public ResultCode[] Close(params UInt128[] ids) =>
        Codes(Execute(CommandKind.CloseAccounts, MemoryMarshal.AsBytes(ids.AsSpan())));

    public void Tick(long advanceNs)
    {
        Timestamp += advanceNs;
        Assert.Empty(Execute(CommandKind.Tick, default));
    }

    public ResultCode Account1(Account a) => CreateAccounts(a)[0];
    public ResultCode Transfer1(Transfer t) => CreateTransfers(t)[0];

    public Account Get(UInt128 id)
    {
        Assert.True(Machine.TryGetAccount(id, out var a), $"account {id} missing");
        return a;
    }

    private static ResultCode[] Codes(CreateResult[] results)
    {
        var codes = new ResultCode[results.Length];
        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(i, results[i].Index);
            codes[i] = results[i].Code;
        }

        return codes;
    }

    public static Account Acc(UInt128 id, uint ledger = 1, ushort code = 1, AccountFlags flags = AccountFlags.None) =>
        new() { Id = id, Ledger = ledger, Code = code, Flags = flags };

    public static Transfer Tx(UInt128 id, UInt128 debit, UInt128 credit, long amount, uint ledger = 1, ushort code = 1,
        TransferFlags flags = TransferFlags.None, UInt128 pendingId = default, uint timeoutSeconds = 0) =>
        new()
        {
            Id = id, DebitAccountId = debit, CreditAccountId = credit, Amount = amount, Ledger = ledger, Code = code,
            Flags = flags, PendingId = pendingId, TimeoutSeconds = timeoutSeconds,
        };

    public static Transfer Post(UInt128 id, UInt128 pendingId, long amount = 0, TransferFlags extra = TransferFlags.None) =>
        new() { Id = id, PendingId = pendingId, Amount = amount, Flags = TransferFlags.PostPendingTransfer | extra };

    public static Transfer Void(UInt128 id, UInt128 pendingId, long amount = 0, TransferFlags extra = TransferFlags.None) =>
        new() { Id = id, PendingId = pendingId, Amount = amount, Flags = TransferFlags.VoidPendingTransfer | extra };

    /// <summary>Accounts 1,2,6,7 USD plain; 3 EUR; 4 USD debits≤credits; 5 USD credits≤debits.</summary>
    public static LedgerHarness Standard(int maxAccounts = 64, int maxPending = 16, int retentionCount = 1024, long retentionNs = 0)
    {
        var h = new LedgerHarness(maxAccounts: maxAccounts, maxPending: maxPending, retentionCount: retentionCount, retentionNs: retentionNs);
        var codes = h.CreateAccounts(Acc(1), Acc(2), Acc(3, ledger: 2), Acc(4, flags: AccountFlags.DebitsMustNotExceedCredits),
            Acc(5, flags: AccountFlags.CreditsMustNotExceedDebits), Acc(6), Acc(7));
        Assert.All(codes, c => Assert.Equal(ResultCode.Ok, c));
        return h;
    }
}
