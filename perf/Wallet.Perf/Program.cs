using Wallet.Perf.Harness;

namespace Wallet.Perf;

/// <summary>
/// <c>dotnet run -c Release --project perf/Wallet.Perf -- &lt;scenario&gt; [options]</c>.
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

        string loadBefore = MachineInfo.LoadAverage();
        ScenarioResult result;
        try
        {
            result = scenario.Run(options, Console.Out);
        }
        catch (PerfOptionsException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
#pragma warning disable CA1031 // top level: any scenario failure becomes exit code 1 with the exception printed
        catch (Exception e)
#pragma warning restore CA1031
        {
            Console.Error.WriteLine($"error: scenario '{scenario.Name}' failed: {e}");
            return 1;
        }
        result.Note($"load average (1/5/15 min) before: {loadBefore}; after: {MachineInfo.LoadAverage()} (other processes compete for the {Environment.ProcessorCount} cores)");

        Console.WriteLine();
        result.WriteTable(Console.Out);
        if (options.JsonPath is { } path)
        {
            result.WriteJson(path, options);
            Console.WriteLine($"json: {path}");
        }
        if (options.HgrmDir is { } hgrmDir)
        {
            foreach (string written in result.WriteHgrm(hgrmDir))
            {
                Console.WriteLine($"hgrm: {written}");
            }
        }
        return 0;
    }

    private static void PrintHelp(TextWriter output)
    {
        output.WriteLine("usage: Wallet.Perf <scenario> [options]");
        output.WriteLine();
        output.WriteLine("scenarios:");
        foreach (IScenario s in ScenarioRegistry.All)
        {
            output.WriteLine($"  {s.Name,-12} {s.Description}");
            foreach (OptionSpec o in s.ExtraOptions)
            {
                output.WriteLine($"      {o.Name,-16} {o.Description} (default {o.DefaultValue})");
            }
        }
        output.WriteLine();
        output.WriteLine("common options:");
        foreach (OptionSpec o in PerfOptions.Common)
        {
            output.WriteLine($"  {o.Name,-16} {o.Description} (default {o.DefaultValue})");
        }
        output.WriteLine();
        output.WriteLine("exit codes: 0 ok, 1 failure, 2 invalid command line");
    }
}
