using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet saga resolve SAGA --source-partition P --post|--void</c> (system role): settles the source hold of a
/// cross-partition transfer that ended with <c>StepOutcomeForgotten</c> — the sequencer stops such a saga without
/// touching its hold (docs/SAGA.md), and an operator decides from the destination's journal or read model whether the
/// credit applied: then post (the money moves on), else void (it returns). The step ids are the sequencer's own
/// (post = step 3, void = step 5 of the saga), so a repeat is idempotent and the clearing accounts stay balanced.
/// <c>wallet saga check SAGA --data-dir DEST</c> (offline, files only) gives that decision from the destination
/// partition's event journal: did the saga's credit step apply there?
/// </summary>
internal static class SagaCommand
{
    public static Command Create()
    {
        var command = new Command("saga", "Operator tools for cross-partition transfers");
        command.Subcommands.Add(Resolve());
        command.Subcommands.Add(Check());
        return command;
    }

    /// <summary>What the destination's event journal says about a saga's credit step (step 2).</summary>
    private enum CreditState { Absent, Posted, Pending, PendingPosted, PendingVoided, PendingExpired }

    private static Command Check()
    {
        var common = new OfflineVerb();
        var saga = new Argument<string>("saga") { Description = "Saga id (error 601 in the node's log names it)" };
        var command = new Command("check", "Whether a saga's credit applied: reads the destination partition's event journal (--data-dir = that partition's directory; files only, a live node's directory works)")
        {
            saga,
        };
        common.AddTo(command);
        command.SetAction((parse, cancel) => OfflineVerb.RunAsync(() =>
        {
            string sagaText = parse.GetValue(saga)!;
            if (!ulong.TryParse(sagaText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong sagaId) || sagaId == 0)
                throw new CliUsageException($"'{sagaText}' is not a saga id (a positive decimal number)");
            OfflineVerb.Settings settings = common.Load(parse);
            using Journal events = Journal.OpenReadOnly(new JournalOptions { Directory = settings.DataDirectory, FilePrefix = PartitionEngine.EventJournalPrefix });
            // The event journal is derived: absent (Partition:EventJournal off) or behind the command journal, it cannot
            // prove that a credit did NOT apply. Compare with the legal record's end.
            long commandsLast;
            using (Journal commands = Journal.OpenReadOnly(new JournalOptions { Directory = settings.DataDirectory, FilePrefix = PartitionEngine.CommandJournalPrefix }))
            {
                commandsLast = commands.LastIndex;
            }
            UInt128 credit = SystemIds.StepTransferId(sagaId, 2);
            var state = CreditState.Absent;
            long atIndex = 0, atTimestamp = 0;
            long first = events.FirstIndex, last = events.LastIndex;
            if (last >= first && last > 0)
            {
                using JournalReader reader = events.OpenReader(first);
                while (reader.TryRead(out JournalRecord record))
                {
                    foreach (LedgerEventEntry e in LedgerEventEntry.Parse(record.Payload))
                    {
                        CreditState next = e.Kind switch
                        {
                            LedgerEventKind.TransferPosted when e.Transfer.Id == credit => CreditState.Posted,
                            LedgerEventKind.PendingCreated when e.Transfer.Id == credit => CreditState.Pending,
                            LedgerEventKind.PendingPosted when e.PendingId == credit => CreditState.PendingPosted,
                            LedgerEventKind.PendingVoided when e.PendingId == credit => CreditState.PendingVoided,
                            LedgerEventKind.PendingExpired when e.PendingId == credit => CreditState.PendingExpired,
                            _ => state,
                        };
                        if (next == state) continue;
                        state = next;
                        atIndex = record.Index;
                        atTimestamp = e.Timestamp;
                    }
                }
            }
            // "Absent" is proof only if the event journal covers every command: it still starts at the beginning
            // (retention may have removed the front) and reaches the command journal's end (events on, not behind).
            bool complete = first <= 1 && last >= commandsLast;
            (string verdict, string? action) = state switch
            {
                CreditState.Posted or CreditState.PendingPosted => ("the credit applied", "--post"),
                CreditState.PendingVoided or CreditState.PendingExpired => ("the credit was held and then released: it did not apply", "--void"),
                CreditState.Pending => ("the credit is still held (pending) on this partition: it has neither applied nor been released", null),
                _ when complete => ($"no credit for this saga in the event journal (records {first}..{last}, from the beginning): it did not apply", "--void"),
                _ when last < commandsLast => ($"no credit for this saga in event records {first}..{last}, but the command journal reaches {commandsLast} (the event journal is off or behind): cannot tell from it", null),
                _ => ($"no credit for this saga in records {first}..{last}, but earlier records were removed by journal retention: cannot tell from this journal (look in an archive or the read model)", null),
            };
            if (parse.GetValue(common.Json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    saga = sagaId.ToString(CultureInfo.InvariantCulture), credit_step = credit.ToString(CultureInfo.InvariantCulture), state = state.ToString(),
                    index = atIndex, timestamp_ns = atTimestamp, journal_first = first, journal_last = last, resolve = action,
                }));
            }
            else
            {
                Console.Out.WriteLine($"saga {sagaId}: {verdict}" + (atIndex > 0 ? $" (index {atIndex}, {OfflineVerb.FormatTime(atTimestamp)})" : string.Empty));
                if (action is not null) Console.Out.WriteLine($"resolve with: wallet saga resolve {sagaId} --source-partition <the debit account's partition> {action}");
            }
            return Task.FromResult(action is null ? ExitCodes.Rejected : ExitCodes.Ok);
        }, "saga check"));
        return command;
    }

    private static Command Resolve()
    {
        var common = new ClientVerb();
        var saga = new Argument<string>("saga") { Description = "Saga id (error 601 in the node's log names it)" };
        var source = new Option<int>("--source-partition") { Description = "The partition of the transfer's debit account (601 names it)", Required = true };
        var post = new Option<bool>("--post") { Description = "The credit applied: post the source hold" };
        var voidHold = new Option<bool>("--void") { Description = "The credit did not apply: void the source hold" };
        var command = new Command("resolve", "Post or void the source hold a saga with an unknown outcome left (system role, e.g. --user saga-peer)")
        {
            saga, source, post, voidHold,
        };
        common.AddTo(command);
        command.SetAction((parse, cancel) =>
        {
            string sagaText = parse.GetValue(saga)!;
            if (!ulong.TryParse(sagaText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong sagaId) || sagaId == 0)
            {
                Console.Error.WriteLine($"wallet saga resolve: '{sagaText}' is not a saga id (a positive decimal number)");
                return Task.FromResult(ExitCodes.InvalidConfiguration);
            }
            int partition = parse.GetValue(source);
            if (partition is < 0 or >= ushort.MaxValue)
            {
                Console.Error.WriteLine("wallet saga resolve: --source-partition must be 0..65534");
                return Task.FromResult(ExitCodes.InvalidConfiguration);
            }
            bool doPost = parse.GetValue(post);
            if (doPost == parse.GetValue(voidHold))
            {
                Console.Error.WriteLine("wallet saga resolve: give exactly one of --post (the credit applied) or --void (it did not)");
                return Task.FromResult(ExitCodes.InvalidConfiguration);
            }
            return common.RunAsync(parse, async (client, _) =>
            {
                UInt128 hold = SystemIds.StepTransferId(sagaId, 1);
                var step = new Transfer
                {
                    Id = SystemIds.StepTransferId(sagaId, doPost ? 3 : 5),
                    PendingId = hold,
                    UserData64 = sagaId,
                    UserData32 = doPost ? 3u : 5u,
                    // No FenceIfAbsent: a hold that is not there is an operator's wrong saga id or partition, said as such.
                    Flags = doPost ? TransferFlags.PostPendingTransfer : TransferFlags.VoidPendingTransfer,
                };
                CreateResult[] results = await client.SystemTransfersAsync(partition, new[] { step }).ConfigureAwait(false);
                ResultCode code = results.Length == 1 ? results[0].Code : ResultCode.MalformedPayload;
                bool done = code is ResultCode.Ok or ResultCode.Exists;
                string what = doPost ? "posted" : "voided";
                if (parse.GetValue(common.Json))
                {
                    Console.Out.WriteLine(JsonSerializer.Serialize(new { saga = sagaId.ToString(CultureInfo.InvariantCulture), action = doPost ? "post" : "void", result = code.ToString() }));
                }
                else if (done)
                {
                    Console.Out.WriteLine(code == ResultCode.Ok ? $"saga {sagaId}: source hold {what}" : $"saga {sagaId}: source hold already {what} (a repeat)");
                }
                else
                {
                    Console.Error.WriteLine($"wallet saga resolve: saga {sagaId}: not {what}: {code}{Hint(code)}");
                }
                return done ? ExitCodes.Ok : ExitCodes.Rejected;
            });
        });
        return command;
    }

    private static string Hint(ResultCode code) => code switch
    {
        ResultCode.PendingTransferAlreadyPosted => " (the hold was posted before)",
        ResultCode.PendingTransferAlreadyVoided => " (the hold was voided before)",
        ResultCode.PendingTransferNotFound or ResultCode.StepOutcomeForgotten => " (no such hold on this partition: check the saga id and --source-partition)",
        _ => string.Empty,
    };
}
