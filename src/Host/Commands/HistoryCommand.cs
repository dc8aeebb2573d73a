using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet history ID [--from T] [--to T] [--order desc|asc] [--limit N] [--cursor C]</c>: an account's changes with
/// the running balance after each, from the read model of a data directory.
/// </summary>
internal static class HistoryCommand
{
    public static Command Create()
    {
        var common = new OfflineVerb();
        var id = new Argument<string>("id") { Description = "Account id" };
        var from = new Option<string?>("--from") { Description = "Inclusive start: RFC 3339 time or ns since the epoch" };
        var to = new Option<string?>("--to") { Description = "Inclusive end: RFC 3339 time or ns since the epoch" };
        var order = new Option<string>("--order") { Description = "desc (newest first) or asc", DefaultValueFactory = _ => "desc" };
        var limit = new Option<int>("--limit") { Description = $"Rows per page (1..{HistoryQuery.MaxLimit})", DefaultValueFactory = _ => 50 };
        var cursor = new Option<string?>("--cursor") { Description = "Continue after a previous page (its next_cursor)" };
        var command = new Command("history", "An account's history with the running balance after every change (read model)") { id };
        command.Options.Add(from);
        command.Options.Add(to);
        command.Options.Add(order);
        command.Options.Add(limit);
        command.Options.Add(cursor);
        common.AddTo(command);
        command.SetAction((parse, cancel) => OfflineVerb.RunAsync(() =>
        {
            OfflineVerb.Settings settings = common.Load(parse);
            UInt128 accountId = IdText.Parse(parse.GetValue(id), "account id");
            string orderText = parse.GetValue(order)!;
            if (orderText is not "desc" and not "asc") throw new CliUsageException("--order must be desc or asc");
            int pageSize = parse.GetValue(limit);
            if (pageSize is < 1 or > HistoryQuery.MaxLimit) throw new CliUsageException($"--limit must be 1..{HistoryQuery.MaxLimit}");
            using ReadModelStore view = OfflineVerb.OpenView(settings);
            if (!view.TryGetAccount(accountId, out AccountView account, out ViewPosition position))
            {
                Console.Error.WriteLine($"wallet history: account {accountId} is not in the read model (at index {position.Index}); the read model trails the ledger by a moment — `wallet readmodel status` shows how far");
                return Task.FromResult(ExitCodes.Rejected);
            }
            HistoryPage page = view.GetHistory(new HistoryQuery
            {
                AccountId = accountId,
                FromTimestampNs = Time(parse.GetValue(from), "--from", 0),
                ToTimestampNs = Time(parse.GetValue(to), "--to", long.MaxValue),
                NewestFirst = orderText == "desc",
                Limit = pageSize,
                Cursor = parse.GetValue(cursor),
            });
            (string symbol, byte scale) = OfflineVerb.CurrencyOf(settings.Ledger.Catalog, account.Account.Ledger);
            if (parse.GetValue(common.Json))
            {
                var rows = new List<object>(page.Rows.Count);
                foreach (HistoryRow r in page.Rows)
                {
                    rows.Add(new
                    {
                        index = r.Index, ordinal = r.Ordinal, timestamp_ns = r.CommandTimestamp, time = OfflineVerb.FormatTime(r.CommandTimestamp),
                        @event = r.Kind.ToString(), side = r.Side.ToString().ToLowerInvariant(), transfer_id = r.TransferId.ToString(),
                        counterparty = r.CounterpartyId.ToString(), amount = AmountText.Format(r.Amount, scale),
                        balance = AmountText.Format(r.After.CreditsPosted - r.After.DebitsPosted, scale),
                        debits_posted = AmountText.Format(r.After.DebitsPosted, scale), credits_posted = AmountText.Format(r.After.CreditsPosted, scale),
                        debits_pending = AmountText.Format(r.After.DebitsPending, scale), credits_pending = AmountText.Format(r.After.CreditsPending, scale),
                    });
                }
                Console.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    account_id = accountId.ToString(), currency = symbol, rows, next_cursor = page.NextCursor,
                    source = new { kind = "view", index = page.View.Index, timestamp_ns = page.View.TimestampNs },
                }));
            }
            else
            {
                Console.Out.WriteLine($"account {accountId} ({symbol}), read model at index {page.View.Index}");
                Console.Out.WriteLine($"{"index",10} {"time (UTC)",-28} {"event",-16} {"side",-7} {"amount",20} {"balance after",20}  transfer / counterparty");
                foreach (HistoryRow r in page.Rows)
                {
                    string amount = r.Side == HistorySide.Account ? string.Empty : (r.Side == HistorySide.Debit ? "-" : "+") + AmountText.Format(r.Amount, scale);
                    string who = r.TransferId == UInt128.Zero ? string.Empty : $"{r.TransferId} / {r.CounterpartyId}";
                    Console.Out.WriteLine($"{r.Index,10} {OfflineVerb.FormatTime(r.CommandTimestamp),-28} {Name(r.Kind),-16} {r.Side.ToString().ToLowerInvariant(),-7} {amount,20} {AmountText.Format(r.After.CreditsPosted - r.After.DebitsPosted, scale),20}  {who}");
                }
                if (page.NextCursor is not null) Console.Out.WriteLine($"more: --cursor {page.NextCursor}");
            }
            return Task.FromResult(ExitCodes.Ok);
        }, "history"));
        return command;
    }

    private static long Time(string? text, string option, long defaultValue)
    {
        if (text is null) return defaultValue;
        // The HTTP API's strict reader: RFC 3339 (exact ns, range-checked) or ns since the epoch — never a time of day
        // read as "today", never a far-future date overflowing into a negative count.
        if (Wallet.Gateway.Http.QueryText.TryParseTime(option, text, out long ns, out string? error)) return ns;
        throw new CliUsageException($"{option} '{text}': {error}");
    }

    private static string Name(LedgerEventKind kind) => kind switch
    {
        LedgerEventKind.AccountCreated => "created",
        LedgerEventKind.AccountClosed => "closed",
        LedgerEventKind.TransferPosted => "transfer",
        LedgerEventKind.PendingCreated => "hold",
        LedgerEventKind.PendingPosted => "hold posted",
        LedgerEventKind.PendingVoided => "hold voided",
        LedgerEventKind.PendingExpired => "hold expired",
        _ => kind.ToString(),
    };
}
