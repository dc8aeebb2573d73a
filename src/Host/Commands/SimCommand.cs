using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Wallet.Replication.Simulation;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet sim --seeds A..B [--steps N] [--replicas 3] [--heal-steps N] [--harsh] [--snapshots] [--data-loss [--no-rejoin]] [--quiet]</c>: runs the deterministic cluster
/// simulation (docs/REPLICATION.md) for each seed in the range and prints one line per seed; a failing seed prints the
/// violated invariant and reproduces exactly when run again with the same options. Exit code 1 if any seed failed.
/// </summary>
internal static class SimCommand
{
    public static Command Create()
    {
        var seeds = new Option<string>("--seeds") { Description = "Seed or inclusive range, e.g. 1..1000 or 42", DefaultValueFactory = _ => "1..10" };
        var steps = new Option<int>("--steps") { Description = "Fault-phase steps per seed (1 step = 1 ms virtual)", DefaultValueFactory = _ => new SimOptions().Steps };
        var healSteps = new Option<int>("--heal-steps") { Description = "Steps allowed to converge after faults heal", DefaultValueFactory = _ => new SimOptions().HealSteps };
        var replicas = new Option<int>("--replicas") { Description = "Replicas: 1, 3 or 5", DefaultValueFactory = _ => 3 };
        var quiet = new Option<bool>("--quiet") { Description = "Print failures and the summary only" };
        var harsh = new Option<bool>("--harsh") { Description = "Harsher faults: 10% loss, 5% duplication, delays up to 25 ms, higher crash/partition rates" };
        var snapshots = new Option<bool>("--snapshots") { Description = "Snapshots every 30 entries and log compaction: lagging replicas are caught up by InstallSnapshot" };
        var dataLoss = new Option<bool>("--data-loss") { Description = "Replicas down long enough may restart with an empty disk (60% of such restarts) and rejoin with RejoinAfterDataLoss" };
        var noRejoin = new Option<bool>("--no-rejoin") { Description = "With --data-loss: the emptied replica restarts as a full member (shows the hazard)" };
        var command = new Command("sim", "Run the deterministic consensus simulation over a range of seeds");
        command.Options.Add(seeds);
        command.Options.Add(steps);
        command.Options.Add(healSteps);
        command.Options.Add(replicas);
        command.Options.Add(quiet);
        command.Options.Add(harsh);
        command.Options.Add(snapshots);
        command.Options.Add(dataLoss);
        command.Options.Add(noRejoin);
        command.SetAction(parse =>
        {
            if (!TryParseRange(parse.GetValue(seeds), out var first, out var last))
            {
                Console.Error.WriteLine("--seeds must be N or A..B with 0 <= A <= B.");
                return ExitCodes.InvalidConfiguration;
            }

            var n = parse.GetValue(replicas);
            var s = parse.GetValue(steps);
            var h = parse.GetValue(healSteps);
            if (n is not (1 or 3 or 5) || s < 1 || s > 10_000_000 || h < 100 || h > 10_000_000)
            {
                Console.Error.WriteLine("--replicas must be 1, 3 or 5; --steps 1..10000000; --heal-steps 100..10000000.");
                return ExitCodes.InvalidConfiguration;
            }

            var isHarsh = parse.GetValue(harsh);
            var withSnapshots = parse.GetValue(snapshots);
            var options = isHarsh ? SimOptions.Harsh(n, s, h) : new SimOptions { Replicas = n, Steps = s, HealSteps = h };
            if (withSnapshots) options = options.WithSnapshots();
            var withDataLoss = parse.GetValue(dataLoss);
            var rejoin = !parse.GetValue(noRejoin);
            if (withDataLoss) options = options.WithDataLoss(600_000, rejoin);
            var failed = 0L;
            var ran = 0L;
            var clock = Stopwatch.StartNew();
            for (var seed = first; ; seed++)
            {
                var result = SimCluster.Run(seed, options);
                ran++;
                if (!result.Passed)
                {
                    failed++;
                    Console.Out.WriteLine(result.ToString() + $" (options: --replicas {n} --steps {s} --heal-steps {h}{(isHarsh ? " --harsh" : "")}{(withSnapshots ? " --snapshots" : "")}{(withDataLoss ? " --data-loss" : "")}{(withDataLoss && !rejoin ? " --no-rejoin" : "")})");
                }
                else if (!parse.GetValue(quiet))
                {
                    Console.Out.WriteLine(result.ToString());
                }

                if (seed == last) break;
            }

            Console.Out.WriteLine($"{ran} seeds, {failed} failed, {clock.Elapsed.TotalSeconds:F1} s");
            return failed == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    private static bool TryParseRange(string? text, out ulong first, out ulong last)
    {
        first = last = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var dots = text.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0)
        {
            if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out first)) return false;
            last = first;
            return true;
        }

        return ulong.TryParse(text.AsSpan(0, dots), NumberStyles.None, CultureInfo.InvariantCulture, out first)
            && ulong.TryParse(text.AsSpan(dots + 2), NumberStyles.None, CultureInfo.InvariantCulture, out last)
            && first <= last;
    }
}
