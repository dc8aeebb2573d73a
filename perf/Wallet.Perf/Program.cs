using Wallet.Perf.Harness;

namespace Wallet.Perf;

/// <summary>
/// <c>dotnet run -c Release --project perf/Wallet.Perf -- &lt;scenario&gt; [options]</c>, or <c>all [--quick]</c>.
/// Exit codes: 0 ok, 1 scenario failed, 2 invalid command line.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            PrintHelp(Console.Out);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] == "all")
        {
            if (Array.IndexOf(args, "--help") > 0)
            {
                BenchAll.PrintHelp(Console.Out);
                return 0;
            }
            try
            {
                return BenchAll.Run(args[1..], Console.Out);
            }
            catch (PerfOptionsException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        }

        IScenario? scenario = ScenarioRegistry.Find(args[0]);
        if (scenario is null)
        {
            Console.Error.WriteLine($"error: unknown scenario '{args[0]}'");
            PrintHelp(Console.Error);
            return 2;
        }

        PerfOptions options;
        try
        {
            if (Array.IndexOf(args, "--help") > 0)
            {
                PrintHelp(Console.Out);
                return 0;
            }
            options = PerfOptions.Parse(args[1..], scenario);
        }
        catch (PerfOptionsException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        return RunOne(scenario, options, args, Console.Out);
    }

    /// <summary>Runs one scenario, prints its table, and writes the outputs the options ask for.</summary>
    internal static int RunOne(IScenario scenario, PerfOptions options, string[] args, TextWriter output)
    {
        string loadBefore = MachineInfo.LoadAverage();
        ScenarioOutcome outcome = ScenarioRunner.Run(scenario, options, args[1..], output);
        if (outcome.Result is not { } result)
        {
            return outcome.Error is { } e && e.StartsWith("invalid options: ", StringComparison.Ordinal) ? 2 : 1;
        }
        output.WriteLine();
        result.WriteTable(output);
        if (options.JsonPath is { } path)
        {
            result.WriteJson(path, options);
            output.WriteLine($"json: {path}");
        }
        if (options.HgrmDir is { } hgrmDir)
        {
            foreach (string written in result.WriteHgrm(hgrmDir))
            {
                output.WriteLine($"hgrm: {written}");
            }
        }
        if (options.OutDir is { } outDir)
        {
            List<string> written = new RunSetOutput(outDir).Write([outcome], args, loadBefore, MachineInfo.LoadAverage());
            output.WriteLine($"out-dir: {written.Count} files in {Path.GetFullPath(outDir)}");
        }
        return 0;
    }

    private static void PrintHelp(TextWriter output)
    {
        output.WriteLine("usage: Wallet.Perf <scenario> [options]");
        output.WriteLine("       Wallet.Perf all [--quick] [--out-dir DIR] [--only a,b] [--skip a,b] [--sweep-p99-us N]");
        output.WriteLine();
        output.WriteLine("scenarios:");
        foreach (IScenario s in ScenarioRegistry.All)
        {
            output.WriteLine($"  {s.Name,-17} {s.Description}");
            foreach (OptionSpec o in s.ExtraOptions)
            {
                if (o.Name == PerfOptions.SweepCapable)
                {
                    output.WriteLine($"      {PerfOptions.SweepOption,-18} supported (see common options)");
                    continue;
                }
                output.WriteLine($"      {o.Name,-18} {o.Description} (default {o.DefaultValue})");
            }
        }
        output.WriteLine();
        output.WriteLine("common options:");
        foreach (OptionSpec o in PerfOptions.Common)
        {
            output.WriteLine($"  {o.Name,-18} {o.Description} (default {o.DefaultValue})");
        }
        output.WriteLine("  aliases: --clients = --connections, --duration = --duration-s, --warmup = --warmup-s");
        output.WriteLine();
        BenchAll.PrintHelp(output);
        output.WriteLine();
        output.WriteLine("exit codes: 0 ok, 1 failure, 2 invalid command line");
    }
}
