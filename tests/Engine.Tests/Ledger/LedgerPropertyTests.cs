using System.Runtime.InteropServices;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Wallet.Engine.Ledger;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.Ledger;

/// <summary>
/// Random command streams over small id spaces (accounts 1..10, transfers 1..60) so that duplicates,
/// posts of real holds, chains, expiries and limit violations all happen often.
/// </summary>
public sealed class LedgerPropertyTests
{
    public sealed record Command(CommandKind Kind, long GapNs, Account[] Accounts, Transfer[] Transfers, UInt128[] Ids)
    {
        public override string ToString() => Kind switch
        {
            CommandKind.CreateAccounts => $"+{GapNs} A[{string.Join(", ", Accounts.Select(a => $"{a.Id}/L{a.Ledger}/{a.Flags}"))}]",
            CommandKind.CreateTransfers => $"+{GapNs} T[{string.Join(", ", Transfers.Select(t => $"{t.Id}:{t.DebitAccountId}->{t.CreditAccountId}:{t.Amount}:L{t.Ledger}:{t.Flags}:p{t.PendingId}:to{t.TimeoutSeconds}"))}]",
            CommandKind.CloseAccounts => $"+{GapNs} C[{string.Join(", ", Ids)}]",
            _ => $"+{GapNs} Tick",
        };
    }

    private static readonly Gen<long> Gap = Gen.Frequency(
        (3, Gen.Constant(0L)),
        (3, Gen.Choose(1, 1000).Select(x => (long)x)),
        (2, Gen.Choose(1, 3000).Select(ms => ms * 1_000_000L)));

    private static readonly Gen<Account> AccountGen =
        from id in Gen.Choose(1, 10)
        from ledger in Gen.Elements(1u, 2u)
        from flags in Gen.Elements(AccountFlags.None, AccountFlags.None, AccountFlags.DebitsMustNotExceedCredits, AccountFlags.CreditsMustNotExceedDebits, AccountFlags.History)
        from linked in Gen.Frequency((5, Gen.Constant(false)), (1, Gen.Constant(true)))
        select new Account { Id = (UInt128)id, Ledger = ledger, Code = 1, Flags = flags | (linked ? AccountFlags.Linked : 0) };

    private static readonly Gen<long> AmountGen = Gen.Frequency(
        (20, Gen.Choose(1, 500).Select(x => (long)x)),
        (1, Gen.Constant(0L)),
        (1, Gen.Constant(long.MaxValue / 3)),
        (1, Gen.Constant(long.MaxValue)));

    /// <summary>Mostly an account of the given ledger (1..4 on ledger 1, 5..8 on ledger 2); sometimes any id 1..11.</summary>
    private static Gen<int> AccountOf(uint ledger) => Gen.Frequency(
        (9, Gen.Choose(1, 4).Select(i => ledger == 1 ? i : i + 4)),
        (1, Gen.Choose(1, 11)));

    private static readonly Gen<Transfer> TransferGen =
        from id in Gen.Choose(1, 40)
        from kind in Gen.Frequency((5, Gen.Constant(0)), (4, Gen.Constant(1)), (3, Gen.Constant(2)), (2, Gen.Constant(3)))
        from ledger in Gen.Frequency((9, Gen.Elements(1u, 2u)), (1, Gen.Constant(3u)))
        from debit in AccountOf(ledger)
        from credit in AccountOf(ledger)
        from amount in AmountGen
        from pendingId in Gen.Choose(1, 40)
        from timeout in Gen.Choose(0, 3)
        from linked in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        select kind switch
        {
            0 => Tx((UInt128)id, (UInt128)debit, (UInt128)credit, amount, ledger),
            1 => Tx((UInt128)id, (UInt128)debit, (UInt128)credit, amount, ledger, flags: TransferFlags.Pending, timeoutSeconds: (uint)timeout),
            2 => Post((UInt128)id, (UInt128)pendingId, amount > 1000 ? 0 : amount % 3 == 0 ? 0 : amount),
            _ => Void((UInt128)id, (UInt128)pendingId),
        } is var t && linked ? t with { Flags = t.Flags | TransferFlags.Linked } : t;

    private static readonly Gen<Command> CommandGen = Gen.Frequency(
        (2, from gap in Gap from n in Gen.Choose(1, 4) from a in AccountGen.ArrayOf(n) select new Command(CommandKind.CreateAccounts, gap, a, [], [])),
        (12, from gap in Gap from n in Gen.Choose(1, 8) from t in TransferGen.ArrayOf(n) select new Command(CommandKind.CreateTransfers, gap, [], t, [])),
        (1, from gap in Gap from id in Gen.Choose(1, 11) select new Command(CommandKind.CloseAccounts, gap, [], [], [(UInt128)id])),
        (2, from gap in Gap select new Command(CommandKind.Tick, gap, [], [], [])));

    private static readonly Arbitrary<Command[]> Streams =
        Gen.Sized(size => from n in Gen.Choose(1, 10 + Math.Min(size, 60)) from c in CommandGen.ArrayOf(n) select c).ToArbitrary();

    /// <summary>Accounts 1..8 on two ledgers: plain, plain, no-overdraft, credits-limited per ledger; plus funding.</summary>
    private static LedgerHarness Fresh(int retentionCount = 4096, long retentionNs = 0)
    {
        var h = new LedgerHarness(maxAccounts: 16, maxBatchSize: 16, maxPending: 8, retentionCount: retentionCount, retentionNs: retentionNs);
        h.CreateAccounts(Acc(1), Acc(2), Acc(3, flags: AccountFlags.DebitsMustNotExceedCredits), Acc(4, flags: AccountFlags.CreditsMustNotExceedDebits),
            Acc(5, ledger: 2), Acc(6, ledger: 2), Acc(7, ledger: 2, flags: AccountFlags.DebitsMustNotExceedCredits), Acc(8, ledger: 2, flags: AccountFlags.CreditsMustNotExceedDebits));
        h.CreateTransfers(Tx(1000, 1, 3, 1000), Tx(1001, 4, 2, 1000), Tx(1002, 5, 7, 1000, ledger: 2), Tx(1003, 8, 6, 1000, ledger: 2));
        return h;
    }

    private static CreateResult[] Apply(LedgerHarness h, Command c)
    {
        h.Advance(c.GapNs);
        return c.Kind switch
        {
            CommandKind.CreateAccounts => h.Execute(c.Kind, MemoryMarshal.AsBytes(c.Accounts.AsSpan())),
            CommandKind.CreateTransfers => h.Execute(c.Kind, MemoryMarshal.AsBytes(c.Transfers.AsSpan())),
            CommandKind.CloseAccounts => h.Execute(c.Kind, MemoryMarshal.AsBytes(c.Ids.AsSpan())),
            _ => h.Execute(c.Kind, default),
        };
    }

    private static List<string> Trace(LedgerHarness h, IEnumerable<Command> commands)
    {
        var trace = new List<string>();
        foreach (var c in commands)
        {
            var results = Apply(h, c);
            trace.Add(string.Join(",", results.Select(r => r.ToString())) + " #" + h.Machine.ComputeDigest().ToString("x32"));
        }

        trace.AddRange(h.Events);
        return trace;
    }

    [Property(MaxTest = 60)]
    public Property Conservation_and_limits_hold_after_every_command() =>
        Prop.ForAll(Streams, commands =>
        {
            var h = Fresh(retentionCount: 12);
            foreach (var c in commands)
            {
                var results = Apply(h, c);
                var expected = c.Kind switch
                {
                    CommandKind.CreateAccounts => c.Accounts.Length,
                    CommandKind.CreateTransfers => c.Transfers.Length,
                    CommandKind.CloseAccounts => c.Ids.Length,
                    _ => 0,
                };
                Assert.Equal(expected, results.Length);
                LedgerInvariants.Check(h.Machine);
                foreach (var a in h.Machine.Accounts)
                {
                    if ((a.Flags & AccountFlags.DebitsMustNotExceedCredits) != 0) Assert.True(a.CreditsPosted - a.DebitsPosted - a.DebitsPending >= 0);
                }
            }
        });

    [Property(MaxTest = 40)]
    public Property Same_stream_gives_identical_results_events_and_digests() =>
        Prop.ForAll(Streams, commands => Assert.Equal(Trace(Fresh(12, 4 * Second), commands), Trace(Fresh(12, 4 * Second), commands)));

    [Property(MaxTest = 40)]
    public Property Reserving_capacity_up_front_changes_nothing_observable(PositiveInt cut) =>
        Prop.ForAll(Streams, commands =>
        {
            // Slab capacity 2,000 + 16 + 8 is above the 1,024 warm size, so the reservation really re-sizes the slab and
            // rehashes the transfer index (different bucket layout) — at the start or part-way through the stream.
            var k = cut.Get % (commands.Length + 1);
            var plain = Fresh(retentionCount: 2000, retentionNs: 4 * Second);
            var reserved = Fresh(retentionCount: 2000, retentionNs: 4 * Second);
            var before = Trace(plain, commands.Take(k));
            Assert.Equal(before, Trace(reserved, commands.Take(k)));
            reserved.Machine.ReserveCapacity(1_000_000, 1_000_000);
            Assert.Equal(plain.Machine.ComputeDigest(), reserved.Machine.ComputeDigest());
            Assert.Equal(Trace(plain, commands.Skip(k)), Trace(reserved, commands.Skip(k)));
        });

    /// <summary>
    /// Copy-on-write capture: taken at a random point, then the rest of the stream runs while the capture is open
    /// (every chunk the stream changes is copied on write, with 1–4 items per chunk so that chunks are many), then
    /// the writer's pass copies the rest. Its bytes and digest must be those of a full copy taken at the capture point.
    /// </summary>
    [Property(MaxTest = 60)]
    public Property Copy_on_write_capture_equals_a_full_copy_at_its_point(PositiveInt cut, PositiveInt shift, bool writerFirst) =>
        Prop.ForAll(Streams, commands =>
        {
            var k = cut.Get % (commands.Length + 1);
            var h = Fresh(retentionCount: 12, retentionNs: 4 * Second);
            foreach (var c in commands.Take(k)) Apply(h, c);
            using var expected = new MemoryStream();
            h.Machine.WriteState(expected);
            var digest = h.Machine.ComputeDigest();
            var capture = h.Machine.BeginCapture(reuse: null, chunkShift: shift.Get % 3);
            if (writerFirst) capture.CopyAll(); // the writer got there first: later writes find every chunk copied
            foreach (var c in commands.Skip(k)) Apply(h, c);
            if (!writerFirst) capture.CopyAll();
            Assert.True(capture.IsComplete);
            using var actual = new MemoryStream();
            capture.WriteTo(actual);
            Assert.Equal(expected.ToArray(), actual.ToArray());
            Assert.Equal(digest, capture.ComputeDigest());
            Assert.Equal(capture.SizeBytes, actual.Length);
            // The next capture reuses this one's buffers and is just as exact.
            h.Machine.ReleaseCompletedCapture();
            using var expected2 = new MemoryStream();
            h.Machine.WriteState(expected2);
            var next = h.Machine.BeginCapture(reuse: capture, chunkShift: 0);
            foreach (var c in commands.Take(k)) Apply(h, c);
            next.CopyAll();
            using var actual2 = new MemoryStream();
            next.WriteTo(actual2);
            Assert.Equal(expected2.ToArray(), actual2.ToArray());
        });

    [Property(MaxTest = 40)]
    public Property Capture_restore_gives_equal_digest_and_identical_future(PositiveInt cut) =>
        Prop.ForAll(Streams, commands =>
        {
            var k = cut.Get % (commands.Length + 1);
            var original = Fresh(retentionCount: 12, retentionNs: 4 * Second);
            foreach (var c in commands.Take(k)) Apply(original, c);
            var image = original.Machine.CaptureImage();
            using var stream = new MemoryStream();
            image.WriteTo(stream);
            Assert.Equal(image.SizeBytes, stream.Length);
            stream.Position = 0;
            var restored = new LedgerHarness(LedgerStateMachine.Restore(original.Machine.Options, stream));
            Assert.Equal(original.Machine.ComputeDigest(), restored.Machine.ComputeDigest());
            Assert.Equal(original.Timestamp, restored.Timestamp);
            original.Events.Clear();
            Assert.Equal(Trace(original, commands.Skip(k)), Trace(restored, commands.Skip(k)));
        });

    [Property(MaxTest = 40)]
    public Property Resubmitting_successful_items_returns_exists_and_changes_nothing() =>
        Prop.ForAll(Streams, commands =>
        {
            var h = Fresh();
            foreach (var c in commands)
            {
                var results = Apply(h, c);
                if (c.Kind is not (CommandKind.CreateTransfers or CommandKind.CreateAccounts)) continue;
                var okTransfers = new List<Transfer>();
                var okAccounts = new List<Account>();
                for (var i = 0; i < results.Length; i++)
                {
                    if (results[i].Code != ResultCode.Ok) continue;
                    if (c.Kind == CommandKind.CreateTransfers) okTransfers.Add(c.Transfers[i] with { Flags = c.Transfers[i].Flags & ~TransferFlags.Linked });
                    else okAccounts.Add(c.Accounts[i] with { Flags = c.Accounts[i].Flags & ~AccountFlags.Linked });
                }

                if (okTransfers.Count + okAccounts.Count == 0) continue;
                var before = h.Machine.ComputeDigestWithoutStamp();
                var events = h.Events.Count;
                var again = okTransfers.Count > 0 ? h.CreateTransfers([.. okTransfers]) : h.CreateAccounts([.. okAccounts]);
                Assert.All(again, code => Assert.Equal(ResultCode.Exists, code));
                var expired = h.Events.Skip(events).Count(e => e.StartsWith("expired", StringComparison.Ordinal));
                Assert.Equal(expired, h.Events.Count - events); // no other events
                if (expired == 0) Assert.Equal(before, h.Machine.ComputeDigestWithoutStamp());
            }
        });

    [Fact]
    public void Generated_streams_exercise_the_interesting_paths()
    {
        var codes = new HashSet<ResultCode>();
        var eventKinds = new HashSet<string>();
        var expectedCodes = new[] { ResultCode.Ok, ResultCode.Exists, ResultCode.LinkedEventFailed, ResultCode.PendingTransferAlreadyPosted,
            ResultCode.ExceedsCredits, ResultCode.ExceedsDebits, ResultCode.PendingTransferExpired, ResultCode.AccountsMustHaveTheSameLedger };
        var expectedEvents = new[] { "posted", "pending", "post", "void", "expired", "created" };
        // Up to four samples of 150 random streams: one sample missed a rare code now and then (a flaky CI run); the
        // assertion is about what the generator can reach, so more samples only make it stable.
        for (var round = 0; round < 4 && !(Array.TrueForAll(expectedCodes, codes.Contains) && Array.TrueForAll(expectedEvents, eventKinds.Contains)); round++)
        {
            foreach (var commands in Streams.Generator.Sample(60, 150))
            {
                var h = Fresh();
                foreach (var c in commands)
                {
                    foreach (var r in Apply(h, c)) codes.Add(r.Code);
                }

                foreach (var e in h.Events) eventKinds.Add(e.Split(' ')[0]);
            }
        }

        var seen = string.Join(",", codes) + " / " + string.Join(",", eventKinds);
        foreach (var expected in expectedCodes)
        {
            Assert.True(codes.Contains(expected), $"{expected} not produced; saw {seen}");
        }

        Assert.Superset(new HashSet<string> { "posted", "pending", "post", "void", "expired", "created" }, eventKinds);
    }

    /// <summary>A read model fed only by events: latest account image per id, with per-event delta checks.</summary>
    private struct ReadModelSink(Dictionary<UInt128, Account> accounts) : ILedgerEventSink
    {
        private readonly Dictionary<UInt128, Account> _accounts = accounts;

        private readonly void Moved(in Account debitAfter, in Account creditAfter, long dPending, long dPosted)
        {
            var d = _accounts[debitAfter.Id];
            var c = _accounts[creditAfter.Id];
            Assert.Equal(d.DebitsPending + dPending, debitAfter.DebitsPending);
            Assert.Equal(d.DebitsPosted + dPosted, debitAfter.DebitsPosted);
            Assert.Equal(c.CreditsPending + dPending, creditAfter.CreditsPending);
            Assert.Equal(c.CreditsPosted + dPosted, creditAfter.CreditsPosted);
            _accounts[debitAfter.Id] = debitAfter;
            _accounts[creditAfter.Id] = creditAfter;
        }

        public readonly void OnAccountCreated(in Account account) => _accounts.Add(account.Id, account);
        public readonly void OnAccountClosed(in Account account) => _accounts[account.Id] = account;
        public readonly void OnTransferPosted(in Transfer transfer, in Account debitAfter, in Account creditAfter) => Moved(debitAfter, creditAfter, 0, transfer.Amount);
        public readonly void OnPendingCreated(in Transfer transfer, in Account debitAfter, in Account creditAfter) => Moved(debitAfter, creditAfter, transfer.Amount, 0);
        public readonly void OnPendingPosted(in Transfer post, in Transfer pending, in Account debitAfter, in Account creditAfter) => Moved(debitAfter, creditAfter, -pending.Amount, post.Amount);
        public readonly void OnPendingVoided(in Transfer voidTransfer, in Transfer pending, in Account debitAfter, in Account creditAfter) => Moved(debitAfter, creditAfter, -pending.Amount, 0);
        public readonly void OnPendingExpired(in Transfer pending, long expiredAtTimestamp, in Account debitAfter, in Account creditAfter) => Moved(debitAfter, creditAfter, -pending.Amount, 0);
    }

    [Property(MaxTest = 40)]
    public Property Events_alone_rebuild_every_account_with_consistent_deltas() =>
        Prop.ForAll(Streams, commands =>
        {
            var machine = new LedgerStateMachine(Options(maxAccounts: 16, maxBatchSize: 16, maxPending: 8, retentionCount: 4096));
            var model = new Dictionary<UInt128, Account>();
            var sink = new ReadModelSink(model);
            var results = new CreateResult[16];
            long index = 0, ts = StartTimestamp;
            var setup = new[] { Acc(1), Acc(2), Acc(3, flags: AccountFlags.DebitsMustNotExceedCredits), Acc(5, ledger: 2), Acc(6, ledger: 2) };
            machine.Execute(new CommandStamp(++index, 1, ts += 100), CommandKind.CreateAccounts, MemoryMarshal.AsBytes(setup.AsSpan()), results, ref sink);
            foreach (var c in commands)
            {
                ReadOnlySpan<byte> payload = c.Kind switch
                {
                    CommandKind.CreateAccounts => MemoryMarshal.AsBytes(c.Accounts.AsSpan()),
                    CommandKind.CreateTransfers => MemoryMarshal.AsBytes(c.Transfers.AsSpan()),
                    CommandKind.CloseAccounts => MemoryMarshal.AsBytes(c.Ids.AsSpan()),
                    _ => default,
                };
                ts += c.GapNs + 100;
                machine.Execute(new CommandStamp(++index, 1, ts), c.Kind, payload, results, ref sink);
            }

            Assert.Equal(machine.AccountCount, model.Count);
            foreach (var a in machine.Accounts) Assert.Equal(a, model[a.Id]);
        });

    private static readonly Gen<(int Offset, byte Value)[]> Mutations =
        Gen.Choose(0, 3).SelectMany(n => Gen.Zip(Gen.Choose(0, 8 * Transfer.SizeBytes - 1), Gen.Choose(0, 255)).Select(p => (p.Item1, (byte)p.Item2)).ArrayOf(n));

    [Property(MaxTest = 100)]
    public Property Corrupted_payloads_never_throw_and_never_break_invariants() =>
        Prop.ForAll(Streams, Mutations.ToArbitrary(), (commands, mutations) =>
        {
            var h = Fresh(retentionCount: 12);
            foreach (var c in commands)
            {
                var bytes = c.Kind switch
                {
                    CommandKind.CreateAccounts => MemoryMarshal.AsBytes(c.Accounts.AsSpan()).ToArray(),
                    CommandKind.CreateTransfers => MemoryMarshal.AsBytes(c.Transfers.AsSpan()).ToArray(),
                    CommandKind.CloseAccounts => MemoryMarshal.AsBytes(c.Ids.AsSpan()).ToArray(),
                    _ => [],
                };
                foreach (var (offset, value) in mutations)
                {
                    if (offset < bytes.Length) bytes[offset] = value;
                }

                h.Advance(c.GapNs);
                h.Execute(c.Kind, bytes);
                LedgerInvariants.Check(h.Machine);
            }
        });
}
