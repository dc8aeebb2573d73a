using System.Diagnostics;

namespace Wallet.Perf.Harness;

/// <summary>Runs one scenario and turns however it ends into a <see cref="ScenarioOutcome"/> (a run set keeps going after a failure).</summary>
internal static class ScenarioRunner
{
    public static ScenarioOutcome Run(IScenario scenario, PerfOptions options, IReadOnlyList<string> arguments, TextWriter log)
    {
        string loadBefore = MachineInfo.LoadAverage();
        long start = Stopwatch.GetTimestamp();
        try
        {
            ScenarioResult result = scenario.Run(options, log);
            result.Note($"load average (1/5/15 min) before: {loadBefore}; after: {MachineInfo.LoadAverage()} (other processes compete for the {Environment.ProcessorCount} cores)");
            return new ScenarioOutcome(scenario.Name, OutcomeStatus.Ok, result, options, arguments, Elapsed(start), null);
        }
#pragma warning disable CA1031 // a scenario's failure is reported (message + stack in the log), and the run set goes on
        catch (Exception e)
#pragma warning restore CA1031
        {
            log.WriteLine($"error: scenario '{scenario.Name}' failed: {e}");
            string message = e is PerfOptionsException ? "invalid options: " + e.Message : e.GetType().Name + ": " + e.Message;
            return new ScenarioOutcome(scenario.Name, OutcomeStatus.Failed, null, options, arguments, Elapsed(start), message);
        }
    }

    private static double Elapsed(long start) => Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start);
}
