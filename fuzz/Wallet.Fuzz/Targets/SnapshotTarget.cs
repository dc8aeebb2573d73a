using Wallet.Engine.Ledger;

namespace Wallet.Fuzz.Targets;

/// <summary>
/// A snapshot's payload (the ledger's canonical state bytes). The snapshot file's checksums catch corruption first;
/// this target checks the layer under them, the one that must hold even for bytes whose checksums were recomputed
/// (a bug, a hostile disk): <see cref="LedgerStateMachine.Restore(LedgerOptions, Stream)"/> either refuses with
/// <see cref="InvalidDataException"/>, or returns a machine that satisfies the ledger invariants and writes back
/// exactly the bytes it read (one canonical encoding per state, so equal states have equal digests).
/// </summary>
internal static class SnapshotTarget
{
    private static readonly LedgerOptions s_options = new()
    {
        Catalog = new LedgerCatalog([new LedgerDefinition(1, "USD", 2), new LedgerDefinition(2, "JPY", 0)]),
        MaxAccounts = 64,
        MaxBatchSize = 16,
        MaxPendingTransfers = 16,
        TransferRetentionCount = 64,
    };

    public static void Run(ReadOnlySpan<byte> input)
    {
        using var stream = new MemoryStream(input.ToArray(), writable: false);
        LedgerStateMachine machine;
        try
        {
            machine = LedgerStateMachine.Restore(s_options, stream);
        }
        catch (InvalidDataException)
        {
            return; // refused precisely
        }
        if (!LedgerInvariants.TryCheck(machine, out string? violation)) throw new FuzzFinding("Restore accepted a state that breaks an invariant: " + violation);
        using var written = new MemoryStream();
        machine.WriteState(written);
        if (!written.ToArray().AsSpan().SequenceEqual(input[..(int)stream.Position]))
            throw new FuzzFinding("Restore accepted a non-canonical encoding (writing it back gives other bytes)");
    }

    public static IReadOnlyList<byte[]> Seeds()
    {
        var seeds = new List<byte[]>();
        var ledger = new LedgerStateMachine(s_options);
        var results = new CreateResult[17];
        var sink = new NullLedgerEventSink();
        long index = 0, time = 1_700_000_000_000_000_000;
        void Run(CommandKind kind, ReadOnlySpan<byte> payload) => ledger.Execute(new CommandStamp(++index, 1, time += 1_000_000), kind, payload, results, ref sink);
        void Capture()
        {
            using var s = new MemoryStream();
            ledger.WriteState(s);
            seeds.Add(s.ToArray());
        }
        Capture(); // empty
        Account[] accounts = [new() { Id = 1, Ledger = 1, Code = 1 }, new() { Id = 2, Ledger = 1, Code = 1, Flags = AccountFlags.DebitsMustNotExceedCredits }, new() { Id = 3, Ledger = 2, Code = 7 }];
        Run(CommandKind.CreateAccounts, System.Runtime.InteropServices.MemoryMarshal.AsBytes(accounts.AsSpan()));
        Transfer[] transfers =
        [
            new() { Id = 10, DebitAccountId = 1, CreditAccountId = 2, Amount = 500, Ledger = 1, Code = 1 },
            new() { Id = 11, DebitAccountId = 2, CreditAccountId = 1, Amount = 100, Ledger = 1, Code = 1, Flags = TransferFlags.Pending, TimeoutSeconds = 60 },
            new() { Id = 12, DebitAccountId = 2, CreditAccountId = 1, Amount = 50, Ledger = 1, Code = 1, Flags = TransferFlags.Pending },
            new() { Id = 13, PendingId = 12, Ledger = 1, Code = 1, Flags = TransferFlags.PostPendingTransfer },
        ];
        Run(CommandKind.CreateTransfers, System.Runtime.InteropServices.MemoryMarshal.AsBytes(transfers.AsSpan()));
        Capture(); // accounts, settled, pending and posted transfers
        return seeds;
    }
}
