using System.CommandLine;

namespace Wallet.Host.Commands;

/// <summary><c>wallet snapshot</c>: asks a running node to write a snapshot now (through its HTTP admin API).</summary>
internal static class SnapshotCommand
{
    public static Command Create()
    {
        var common = new HttpAdminVerb();
        var command = new Command("snapshot", "Ask a running node to write a snapshot at its next batch end (admin, HTTP API)");
        common.AddTo(command);
        command.SetAction(async (parse, _) =>
        {
            (int exit, System.Text.Json.JsonElement? body) = await common.SendAsync(parse, HttpMethod.Post, "/v1/admin/snapshot", "snapshot").ConfigureAwait(false);
            if (exit != ExitCodes.Ok) return exit;
            Console.Out.WriteLine(parse.GetValue(common.Json) ? body?.GetRawText() ?? "{}"
                : $"snapshot requested (applied index {body?.GetProperty("applied_index")}); wallet stat shows partition.last_snapshot_index once written");
            return ExitCodes.Ok;
        });
        return command;
    }
}
