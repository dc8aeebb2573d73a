using System.CommandLine;
using Wallet.Host.Commands;

namespace Wallet.Host;

/// <summary>Entry point: one verb per file under Commands/. Client verbs (account, transfer) talk to a running engine through the client SDK.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("wallet — trading-grade wallet/ledger engine");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(ClusterCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(HashPasswordCommand.Create());
        root.Subcommands.Add(AccountCommand.Create());
        root.Subcommands.Add(TransferCommand.Create());
        root.Subcommands.Add(SimCommand.Create());
        root.Subcommands.Add(HistoryCommand.Create());
        root.Subcommands.Add(BalanceCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(ReadModelCommand.Create());
        root.Subcommands.Add(SnapshotCommand.Create());
        root.Subcommands.Add(StatCommand.Create());
        root.Subcommands.Add(SagaCommand.Create());
        // Serve handles SIGINT/SIGTERM itself so the drain is never cut short by the parser's own timeout.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await root.Parse(args).InvokeAsync(invocation).ConfigureAwait(false);
    }
}
