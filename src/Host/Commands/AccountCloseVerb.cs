using System.CommandLine;
using System.Text.Json;
using Wallet.Engine.Ledger;

namespace Wallet.Host.Commands;

/// <summary><c>wallet account close ID...</c> (admin): closes accounts on a running engine; closed accounts take no new transfers.</summary>
internal static class AccountCloseVerb
{
    public static Command Create()
    {
        var common = new ClientVerb();
        var ids = new Argument<string[]>("ids") { Description = "Account ids", Arity = ArgumentArity.OneOrMore };
        var command = new Command("close", "Close accounts (admin); they keep their history and balances") { ids };
        common.AddTo(command);
        command.SetAction((parse, cancel) => common.RunAsync(parse, async (client, _) =>
        {
            string[] texts = parse.GetValue(ids)!;
            var wanted = new UInt128[texts.Length];
            for (int i = 0; i < texts.Length; i++) wanted[i] = IdText.Parse(texts[i], "account id");
            CreateResult[] results = await client.CloseAccountsAsync(wanted).ConfigureAwait(false);
            bool allOk = true;
            var rows = new List<object>();
            foreach (CreateResult r in results)
            {
                UInt128 id = wanted[r.Index];
                allOk &= r.Code == ResultCode.Ok;
                if (parse.GetValue(common.Json)) rows.Add(new { id = id.ToString(), result = r.Code.ToString() });
                else Console.Out.WriteLine(r.Code == ResultCode.Ok ? $"account {id} closed" : $"account {id} not closed: {r.Code}");
            }
            if (parse.GetValue(common.Json)) Console.Out.WriteLine(JsonSerializer.Serialize(new { accounts = rows }));
            return allOk ? ExitCodes.Ok : ExitCodes.Rejected;
        }));
        return command;
    }
}
