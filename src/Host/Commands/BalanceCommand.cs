using System.CommandLine;
using System.Text.Json;
using Wallet.Engine.Audit;
using Wallet.Engine.Ledger;
using Wallet.Engine.ReadModel;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet balance ID... --at &lt;time|index&gt;</c>: balances as of a past moment, from the read model's per-account
/// history (the same answer a replay gives: <c>wallet audit replay --at</c> proves it). Without --at: as of the
/// view's position. For the exact balance now, use <c>wallet account show</c> (asks the engine).
/// </summary>
internal static class BalanceCommand
{
    public static Command Create()
    {
        var common = new OfflineVerb();
        var ids = new Argument<string[]>("ids") { Description = "Account ids", Arity = ArgumentArity.OneOrMore };
        var at = new Option<string?>("--at") { Description = "A log index (digits) or an RFC 3339 time; default: the view's position" };
        var command = new Command("balance", "Balances as of a log index or a time (read model)") { ids };
        command.Options.Add(at);
        common.AddTo(command);
        command.SetAction((parse, cancel) => OfflineVerb.RunAsync(() =>
        {
            OfflineVerb.Settings settings = common.Load(parse);
            string? atText = parse.GetValue(at);
            ReplayTarget target = atText is null ? ReplayTarget.End : OfflineVerb.ParseAt(atText);
            string[] texts = parse.GetValue(ids)!;
            using ReadModelStore view = OfflineVerb.OpenView(settings);
            bool json = parse.GetValue(common.Json);
            var rows = new List<object>();
            int exit = ExitCodes.Ok;
            foreach (string text in texts)
            {
                UInt128 id = IdText.Parse(text, "account id");
                BalanceAt answer = view.GetBalanceAt(id, target);
                view.TryGetAccount(id, out AccountView account, out _);
                (string symbol, byte scale) = OfflineVerb.CurrencyOf(settings.Ledger.Catalog, account.Account.Ledger);
                if (answer.Status != BalanceAtStatus.Found)
                {
                    exit = ExitCodes.Rejected;
                    string why = answer.Status == BalanceAtStatus.ViewBehind
                        ? $"the read model is at index {answer.View.Index}, before {OfflineVerb.Describe(target)}"
                        : $"did not exist at {OfflineVerb.Describe(target)}";
                    if (json) rows.Add(new { id = id.ToString(), found = false, reason = why });
                    else Console.Error.WriteLine($"account {id}: {why}");
                    continue;
                }
                string balance = AmountText.Format(answer.Balances.CreditsPosted - answer.Balances.DebitsPosted, scale);
                if (json)
                {
                    rows.Add(new
                    {
                        id = id.ToString(), found = true, currency = symbol, balance,
                        debits_posted = AmountText.Format(answer.Balances.DebitsPosted, scale), credits_posted = AmountText.Format(answer.Balances.CreditsPosted, scale),
                        debits_pending = AmountText.Format(answer.Balances.DebitsPending, scale), credits_pending = AmountText.Format(answer.Balances.CreditsPending, scale),
                        change_index = answer.ChangeIndex, change_timestamp_ns = answer.ChangeTimestampNs,
                    });
                }
                else
                {
                    Console.Out.WriteLine($"account {id} at {OfflineVerb.Describe(target)}: balance {balance} {symbol} (debits pending {AmountText.Format(answer.Balances.DebitsPending, scale)}, credits pending {AmountText.Format(answer.Balances.CreditsPending, scale)}; last change at index {answer.ChangeIndex}, {OfflineVerb.FormatTime(answer.ChangeTimestampNs)})");
                }
            }
            ViewPosition position = view.Position;
            if (json) Console.Out.WriteLine(JsonSerializer.Serialize(new { at = OfflineVerb.Describe(target), accounts = rows, source = new { kind = "view", index = position.Index, timestamp_ns = position.TimestampNs } }));
            return Task.FromResult(exit);
        }, "balance"));
        return command;
    }
}
