using System.CommandLine;
using System.Text.Json;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet stat [--watch SECONDS] [--count N]</c>: a running node's live counters (indexes, lag, sessions,
/// in-flight requests), like AeronStat; with --watch, printed again every SECONDS until --count or Ctrl+C.
/// </summary>
internal static class StatCommand
{
    public static Command Create()
    {
        var common = new HttpAdminVerb();
        var watch = new Option<int>("--watch") { Description = "Repeat every this many seconds (0 = once)" };
        var count = new Option<int>("--count") { Description = "With --watch: stop after this many samples (0 = until Ctrl+C)" };
        var command = new Command("stat", "Live counters of a running node (admin, HTTP API)");
        command.Options.Add(watch);
        command.Options.Add(count);
        common.AddTo(command);
        command.SetAction(async (parse, cancel) =>
        {
            int every = parse.GetValue(watch);
            int samples = parse.GetValue(count);
            if (every < 0 || samples < 0) { Console.Error.WriteLine("wallet stat: --watch and --count are non-negative"); return ExitCodes.InvalidConfiguration; }
            for (int n = 1; ; n++)
            {
                (int exit, JsonElement? body) = await common.SendAsync(parse, HttpMethod.Get, "/v1/admin/stat", "stat").ConfigureAwait(false);
                if (exit != ExitCodes.Ok) return exit;
                if (parse.GetValue(common.Json)) Console.Out.WriteLine(body?.GetRawText());
                else
                {
                    Console.Out.WriteLine($"-- {DateTime.UtcNow:HH:mm:ss} --");
                    foreach (JsonProperty p in body!.Value.EnumerateObject()) Console.Out.WriteLine($"{p.Name,-34} {p.Value}");
                }
                if (every == 0 || (samples > 0 && n >= samples)) return ExitCodes.Ok;
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(every), cancel).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return ExitCodes.Ok;
                }
            }
        });
        return command;
    }
}
