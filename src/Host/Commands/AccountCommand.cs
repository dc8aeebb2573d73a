using System.CommandLine;
using System.Text.Json;
using Wallet.Client;
using Wallet.Engine.Ledger;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet account create ID --ledger USD [--code N] [--flags ...]</c> and <c>wallet account show ID...</c>,
/// through the client SDK against a running <c>wallet serve</c>. Amounts print as exact decimal strings.
/// </summary>
internal static class AccountCommand
{
    public static Command Create()
    {
        var account = new Command("account", "Create, look up, close accounts on a running engine");
        account.Subcommands.Add(CreateVerb());
        account.Subcommands.Add(ShowVerb());
        account.Subcommands.Add(AccountCloseVerb.Create());
        return account;
    }

    private static Command CreateVerb()
    {
        var common = new ClientVerb();
        var id = new Argument<string>("id") { Description = "Account id: decimal, 0x-hex or UUID" };
        var ledger = new Option<string>("--ledger") { Description = "Ledger symbol or code, e.g. USD", Required = true };
        var code = new Option<ushort>("--code") { Description = "Account code (chart of accounts), nonzero", DefaultValueFactory = _ => 1 };
        var flags = new Option<string[]>("--flags")
        {
            Description = "debits-must-not-exceed-credits | credits-must-not-exceed-debits | history",
            AllowMultipleArgumentsPerToken = true,
        };
        var userData64 = new Option<ulong>("--user-data-64") { Description = "Opaque 64-bit user data" };
        var command = new Command("create", "Create an account (admin)") { id };
        command.Options.Add(ledger);
        command.Options.Add(code);
        command.Options.Add(flags);
        command.Options.Add(userData64);
        common.AddTo(command);
        command.SetAction((parse, _) => common.RunAsync(parse, async (client, catalog) =>
        {
            LedgerDefinition definition = ClientVerb.ResolveLedger(catalog, parse.GetValue(ledger)!);
            var a = new Account
            {
                Id = IdText.Parse(parse.GetValue(id), "account id"),
                Ledger = definition.Code,
                Code = parse.GetValue(code),
                Flags = ParseFlags(parse.GetValue(flags)),
                UserData64 = parse.GetValue(userData64),
            };
            Receipt<CreateResult[]> receipt = await client.CreateAccountsWithReceiptAsync(new[] { a }).ConfigureAwait(false);
            ResultCode result = receipt.Value[0].Code;
            bool ok = result is ResultCode.Ok or ResultCode.Exists;
            if (parse.GetValue(common.Json))
                Console.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    id = a.Id.ToString(), ledger = definition.Symbol, result = result.ToString(), index = receipt.LogIndex, timestamp_ns = receipt.TimestampNs,
                }));
            else
                Console.Out.WriteLine(result == ResultCode.Ok ? $"account {a.Id} created ({definition.Symbol}){TransferCommand.AtIndex(receipt.LogIndex)}"
                    : result == ResultCode.Exists ? $"account {a.Id} already exists with the same fields"
                    : $"account {a.Id} not created: {result}");
            return ok ? ExitCodes.Ok : ExitCodes.Rejected;
        }));
        return command;
    }

    private static Command ShowVerb()
    {
        var common = new ClientVerb();
        var ids = new Argument<string[]>("ids") { Description = "Account ids", Arity = ArgumentArity.OneOrMore };
        var command = new Command("show", "Show accounts and their balances (exact, from the engine)") { ids };
        common.AddTo(command);
        command.SetAction((parse, _) => common.RunAsync(parse, async (client, catalog) =>
        {
            string[] texts = parse.GetValue(ids)!;
            var wanted = new UInt128[texts.Length];
            for (int i = 0; i < texts.Length; i++) wanted[i] = IdText.Parse(texts[i], "account id");
            var byId = new Dictionary<UInt128, Account>();
            Account[] found;
            try
            {
                found = await client.LookupAccountsAsync(wanted).ConfigureAwait(false);
            }
            catch (WalletRejectedException) when (wanted.Length > 1)
            {
                // A replica refuses one lookup whose ids live on different partitions (each has its own leader): ask
                // for each id alone; the client follows each partition's Redirect.
                var each = new List<Account>(wanted.Length);
                foreach (UInt128 id in wanted) each.AddRange(await client.LookupAccountsAsync(new[] { id }).ConfigureAwait(false));
                found = [.. each];
            }
            foreach (Account a in found) byId[a.Id] = a;

            bool json = parse.GetValue(common.Json);
            var rows = new List<object>();
            int missing = 0;
            foreach (UInt128 want in wanted)
            {
                if (!byId.TryGetValue(want, out Account a))
                {
                    missing++;
                    if (!json) Console.Error.WriteLine($"account {want}: not found");
                    continue;
                }
                catalog.TryGet(a.Ledger, out LedgerDefinition definition);
                byte scale = definition?.Scale ?? 0;
                string symbol = definition?.Symbol ?? a.Ledger.ToString(System.Globalization.CultureInfo.InvariantCulture);
                // Balance as credits minus debits (posted). Exact: Int128 cannot overflow for two int64s.
                Int128 balance = (Int128)a.CreditsPosted - a.DebitsPosted;
                string balanceText = balance >= long.MinValue && balance <= long.MaxValue ? AmountText.Format((long)balance, scale) : balance.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (json)
                {
                    rows.Add(new
                    {
                        id = a.Id.ToString(),
                        ledger = symbol,
                        code = a.Code,
                        flags = a.Flags.ToString(),
                        balance = balanceText,
                        debits_posted = AmountText.Format(a.DebitsPosted, scale),
                        credits_posted = AmountText.Format(a.CreditsPosted, scale),
                        debits_pending = AmountText.Format(a.DebitsPending, scale),
                        credits_pending = AmountText.Format(a.CreditsPending, scale),
                        timestamp_ns = a.Timestamp,
                    });
                }
                else
                {
                    Console.Out.WriteLine($"account {a.Id} ({symbol}, code {a.Code}, flags {a.Flags})");
                    Console.Out.WriteLine($"  balance          {balanceText}");
                    Console.Out.WriteLine($"  debits  posted   {AmountText.Format(a.DebitsPosted, scale)}   pending {AmountText.Format(a.DebitsPending, scale)}");
                    Console.Out.WriteLine($"  credits posted   {AmountText.Format(a.CreditsPosted, scale)}   pending {AmountText.Format(a.CreditsPending, scale)}");
                }
            }
            if (json) Console.Out.WriteLine(JsonSerializer.Serialize(new { accounts = rows, missing }));
            return missing == 0 ? ExitCodes.Ok : ExitCodes.Rejected;
        }));
        return command;
    }

    private static AccountFlags ParseFlags(string[]? names)
    {
        AccountFlags flags = AccountFlags.None;
        foreach (string raw in names ?? [])
        {
            foreach (string name in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                flags |= name switch
                {
                    "debits-must-not-exceed-credits" => AccountFlags.DebitsMustNotExceedCredits,
                    "credits-must-not-exceed-debits" => AccountFlags.CreditsMustNotExceedDebits,
                    "history" => AccountFlags.History,
                    _ => throw new CliUsageException($"unknown account flag '{name}' (debits-must-not-exceed-credits, credits-must-not-exceed-debits, history)"),
                };
            }
        }
        return flags;
    }
}
