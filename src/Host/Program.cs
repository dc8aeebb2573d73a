using System.CommandLine;
using Wallet.Host.Commands;

namespace Wallet.Host;

/// <summary>Entry point: one verb per file under Commands/. Client verbs (account, transfer) are added the same way.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("wallet — trading-grade wallet/ledger engine");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(HashPasswordCommand.Create());
        // Serve handles SIGINT/SIGTERM itself so the drain is never cut short by the parser's own timeout.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await root.Parse(args).InvokeAsync(invocation).ConfigureAwait(false);
    }
}
