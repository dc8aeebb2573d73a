using System.Diagnostics;

namespace Wallet.Fuzz;

/// <summary>
/// In-process fuzzing without AFL: every seed, then <c>mutants</c> deterministic mutants (each mutant may build on an
/// earlier one, so inputs drift far from the seeds). Bounded by count and by time. The first finding stops the run
/// and is returned with the input that caused it.
/// </summary>
internal static class SmokeRun
{
    public const int MaxInputBytes = 64 * 1024;

    public sealed record Outcome(long Executions, double Seconds, Exception? Finding, byte[]? FindingInput);

    public static Outcome Run(FuzzTarget target, int mutants, ulong seed, TimeSpan limit)
    {
        IReadOnlyList<byte[]> seeds = target.Seeds();
        var pool = new List<byte[]>(seeds);
        var mutator = new Mutator(seed);
        var clock = Stopwatch.StartNew();
        long executions = 0;
        foreach (byte[] s in seeds)
        {
            Exception? e = Execute(target, s);
            executions++;
            if (e is not null) return new Outcome(executions, clock.Elapsed.TotalSeconds, e, s);
        }
        for (int i = 0; i < mutants && clock.Elapsed < limit; i++)
        {
            byte[] parent = pool[mutator.Below(pool.Count)];
            byte[] input = mutator.Mutate(parent, seeds, MaxInputBytes);
            if (target.Repair is not null) input = target.Repair(input);
            Exception? e = Execute(target, input);
            executions++;
            if (e is not null) return new Outcome(executions, clock.Elapsed.TotalSeconds, e, input);
            // Keep a bounded pool of recent mutants as parents (cheap stand-in for AFL's coverage-guided queue).
            if (pool.Count < 256) pool.Add(input);
            else pool[seeds.Count + mutator.Below(256 - seeds.Count)] = input;
        }
        return new Outcome(executions, clock.Elapsed.TotalSeconds, null, null);
    }

    /// <summary>Runs one input; the exception it escaped with, or null.</summary>
    public static Exception? Execute(FuzzTarget target, byte[] input)
    {
        try
        {
            target.Run(input);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
