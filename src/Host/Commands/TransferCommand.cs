using System.CommandLine;
using System.Text.Json;
using Wallet.Client;
using Wallet.Engine.Ledger;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet transfer --id ID --from DEBIT --to CREDIT --amount 12.34 --ledger USD</c>, plus two-phase variants
/// (<c>--pending [--timeout-s N]</c>, <c>--post-pending ID</c>, <c>--void-pending ID</c>). The amount is a decimal
/// string parsed exactly at the ledger's scale: more decimals than the currency has is an error, never a rounding.
/// Re-running the same command is safe: the id makes it idempotent (the engine answers Exists).
/// <c>wallet transfer show ID...</c> looks transfers up (exact, from the engine's idempotency window).
/// </summary>
internal static class TransferCommand
{
    public static Command Create()
    {
        var common = new ClientVerb();
        var id = new Option<string>("--id") { Description = "Transfer id (idempotency key): decimal, 0x-hex or UUID", Required = true };
        var from = new Option<string>("--from") { Description = "Debit account id" };
        var to = new Option<string>("--to") { Description = "Credit account id" };
        var amount = new Option<string>("--amount") { Description = "Decimal amount, e.g. 12.34 (post-pending: omit for the full amount)" };
        var ledger = new Option<string>("--ledger") { Description = "Ledger symbol or code, e.g. USD", Required = true };
        var code = new Option<ushort>("--code") { Description = "Transfer code, nonzero", DefaultValueFactory = _ => 1 };
        var pending = new Option<bool>("--pending") { Description = "Reserve the amount (two-phase: post or void later)" };
        var timeout = new Option<uint>("--timeout-s") { Description = "Pending only: seconds of log time before the hold expires (0 = never)" };
        var post = new Option<string>("--post-pending") { Description = "Post (complete) the pending transfer with this id" };
        var voidPending = new Option<string>("--void-pending") { Description = "Void (release) the pending transfer with this id" };
        var command = new Command("transfer", "Move money between two accounts of the same ledger; 'transfer show ID...' looks transfers up");
        foreach (Option o in new Option[] { id, from, to, amount, ledger, code, pending, timeout, post, voidPending }) command.Options.Add(o);
        command.Subcommands.Add(ShowVerb());
        common.AddTo(command);
        command.SetAction((parse, _) => common.RunAsync(parse, async (client, catalog) =>
        {
            LedgerDefinition definition = ClientVerb.ResolveLedger(catalog, parse.GetValue(ledger)!);
            string? postId = parse.GetValue(post), voidId = parse.GetValue(voidPending);
            bool isPending = parse.GetValue(pending);
            if ((postId is not null ? 1 : 0) + (voidId is not null ? 1 : 0) + (isPending ? 1 : 0) > 1)
                throw new CliUsageException("--pending, --post-pending and --void-pending exclude each other");
            var t = new Transfer
            {
                Id = IdText.Parse(parse.GetValue(id), "transfer id"),
                Ledger = definition.Code,
                Code = parse.GetValue(code),
            };
            if (postId is not null || voidId is not null)
            {
                t.PendingId = IdText.Parse(postId ?? voidId, "pending transfer id");
                t.Flags = postId is not null ? TransferFlags.PostPendingTransfer : TransferFlags.VoidPendingTransfer;
                if (parse.GetValue(from) is { } f) t.DebitAccountId = IdText.Parse(f, "--from");
                if (parse.GetValue(to) is { } c) t.CreditAccountId = IdText.Parse(c, "--to");
                if (parse.GetValue(amount) is { } a) t.Amount = ParseAmount(a, definition);
            }
            else
            {
                t.DebitAccountId = IdText.Parse(parse.GetValue(from) ?? throw new CliUsageException("--from is required"), "--from");
                t.CreditAccountId = IdText.Parse(parse.GetValue(to) ?? throw new CliUsageException("--to is required"), "--to");
                t.Amount = ParseAmount(parse.GetValue(amount) ?? throw new CliUsageException("--amount is required"), definition);
                if (isPending)
                {
                    t.Flags = TransferFlags.Pending;
                    t.TimeoutSeconds = parse.GetValue(timeout);
                }
                else if (parse.GetValue(timeout) != 0)
                {
                    throw new CliUsageException("--timeout-s applies to --pending transfers only");
                }
            }

            // The receipt: the log index and ledger time of the command that answered (for Ok, where the transfer was applied;
            // for an idempotent repeat, the repeat's own command).
            Receipt<CreateResult[]> receipt = await client.CreateTransfersWithReceiptAsync(new[] { t }).ConfigureAwait(false);
            ResultCode result = receipt.Value[0].Code;
            bool ok = result is ResultCode.Ok or ResultCode.Exists;
            string amountText = AmountText.Format(t.Amount, definition.Scale);
            if (parse.GetValue(common.Json))
                Console.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    id = t.Id.ToString(), amount = amountText, ledger = definition.Symbol, result = result.ToString(), index = receipt.LogIndex, timestamp_ns = receipt.TimestampNs,
                }));
            else
                Console.Out.WriteLine(result == ResultCode.Ok ? $"transfer {t.Id}: ok ({amountText} {definition.Symbol}){AtIndex(receipt.LogIndex)}"
                    : result == ResultCode.Exists ? $"transfer {t.Id}: already applied (idempotent repeat)"
                    : $"transfer {t.Id}: refused: {result}");
            return ok ? ExitCodes.Ok : ExitCodes.Rejected;
        }));
        return command;
    }

    private static Command ShowVerb()
    {
        var common = new ClientVerb();
        var ids = new Argument<string[]>("ids") { Description = "Transfer ids", Arity = ArgumentArity.OneOrMore };
        var command = new Command("show", "Show transfers (exact, from the engine: the transfers of its idempotency window)") { ids };
        common.AddTo(command);
        command.SetAction((parse, _) => common.RunAsync(parse, async (client, catalog) =>
        {
            string[] texts = parse.GetValue(ids)!;
            if (texts.Length > MaxShowIds) throw new CliUsageException($"at most {MaxShowIds} ids per call");
            var wanted = new UInt128[texts.Length];
            for (int i = 0; i < texts.Length; i++) wanted[i] = IdText.Parse(texts[i], "transfer id");
            var byId = new Dictionary<UInt128, Transfer>();
            foreach (Transfer t in await client.LookupTransfersAsync(wanted).ConfigureAwait(false)) byId[t.Id] = t;

            bool json = parse.GetValue(common.Json);
            var rows = new List<object>();
            int missing = 0;
            foreach (UInt128 want in wanted)
            {
                if (!byId.TryGetValue(want, out Transfer t))
                {
                    missing++;
                    if (!json)
                    {
                        Console.Error.WriteLine($"transfer {want}: not found (the engine remembers the newest transfers only, " +
                            "Ledger:TransferRetentionCount per partition; an older one is in the read model: `wallet history`, HTTP ?source=view)");
                    }
                    continue;
                }
                catalog.TryGet(t.Ledger, out LedgerDefinition definition);
                byte scale = definition?.Scale ?? 0;
                string symbol = definition?.Symbol ?? t.Ledger.ToString(System.Globalization.CultureInfo.InvariantCulture);
                string amountText = AmountText.Format(t.Amount, scale);
                if (json)
                {
                    rows.Add(new
                    {
                        id = t.Id.ToString(), debit_account = t.DebitAccountId.ToString(), credit_account = t.CreditAccountId.ToString(),
                        amount = amountText, ledger = symbol, code = t.Code, flags = t.Flags.ToString(), pending_id = t.PendingId.ToString(),
                        timeout_seconds = t.TimeoutSeconds, timestamp_ns = t.Timestamp,
                    });
                }
                else
                {
                    string pendingText = (t.PendingId == UInt128.Zero ? string.Empty : $", pending id {t.PendingId}")
                        + (t.TimeoutSeconds == 0 ? string.Empty : $", timeout {t.TimeoutSeconds} s");
                    Console.Out.WriteLine($"transfer {t.Id}: {amountText} {symbol} from {t.DebitAccountId} to {t.CreditAccountId} (code {t.Code}, flags {t.Flags}{pendingText})");
                    Console.Out.WriteLine($"  applied at {OfflineVerb.FormatTime(t.Timestamp)}");
                }
            }
            if (json) Console.Out.WriteLine(JsonSerializer.Serialize(new { transfers = rows, missing }));
            return missing == 0 ? ExitCodes.Ok : ExitCodes.Rejected;
        }));
        return command;
    }

    /// <summary>Ids one `transfer show` asks for (one LookupTransfers request).</summary>
    private const int MaxShowIds = 1000;

    /// <summary>", at log index N" when one log ordered the command (0: a cross-partition transfer, no single index).</summary>
    internal static string AtIndex(long logIndex) => logIndex > 0 ? $" at log index {logIndex}" : string.Empty;

    private static long ParseAmount(string text, LedgerDefinition ledger)
    {
        if (AmountText.TryParse(text, ledger.Scale, out long minor, out AmountParseError error)) return minor;
        string why = error switch
        {
            AmountParseError.TooManyDecimals => $"more than {ledger.Scale} decimals for {ledger.Symbol} (amounts are never rounded)",
            AmountParseError.Exponent => "exponents are not allowed; write the digits",
            AmountParseError.Negative => "amounts are positive; swap --from and --to to move money the other way",
            AmountParseError.Overflow => "too large for a 64-bit amount of minor units",
            _ => error.ToString(),
        };
        throw new CliUsageException($"--amount '{text}': {why}");
    }
}
