using System.Globalization;
using SharpFuzz;
using Wallet.Fuzz;

// Wallet.Fuzz: coverage-guided fuzz targets (AFL++ through SharpFuzz) and an in-process smoke mode. See docs/FUZZING.md.
const string Usage = """
    usage: Wallet.Fuzz <command>
      list                                 the targets and what each checks
      seeds <target> <dir>                 write the target's seed inputs (AFL's -i directory)
      afl <target>                         run under afl-fuzz (persistent mode; fuzz/run.sh sets everything up)
      smoke <target|all> [mutants] [seed] [seconds]
                                           in process, no AFL: seeds + N deterministic mutants (default 20000, seed 1, 60 s)
      replay <target> <file|dir>           run saved inputs (e.g. AFL's crashes) and report each outcome
    exit codes: 0 ok, 1 a finding (crash), 2 usage
    """;

if (args.Length == 0) return Fail(Usage);
switch (args[0])
{
    case "list":
        foreach (FuzzTarget t in FuzzTargets.All) Console.WriteLine($"{t.Name,-9} {t.Description}");
        return 0;
    case "seeds" when args.Length == 3:
    {
        FuzzTarget? t = FuzzTargets.Find(args[1]);
        if (t is null) return Fail($"unknown target '{args[1]}' (see: Wallet.Fuzz list)");
        Directory.CreateDirectory(args[2]);
        IReadOnlyList<byte[]> seeds = t.Seeds();
        for (int i = 0; i < seeds.Count; i++) File.WriteAllBytes(Path.Combine(args[2], $"seed-{i:D3}"), seeds[i]);
        Console.WriteLine($"{seeds.Count} seeds for '{t.Name}' in {args[2]}");
        return 0;
    }
    case "afl" when args.Length == 2:
    {
        FuzzTarget? t = FuzzTargets.Find(args[1]);
        if (t is null) return Fail($"unknown target '{args[1]}' (see: Wallet.Fuzz list)");
        // Persistent mode: AFL hands inputs through the forkserver; an escaping exception is reported as a crash.
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            t.Run(copy.GetBuffer().AsSpan(0, (int)copy.Length));
        });
        return 0;
    }
    case "smoke" when args.Length is >= 2 and <= 5:
    {
        int mutants = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20_000;
        ulong seed = args.Length > 3 ? ulong.Parse(args[3], CultureInfo.InvariantCulture) : 1;
        var limit = TimeSpan.FromSeconds(args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 60);
        int findings = 0;
        foreach (FuzzTarget t in FuzzTargets.All)
        {
            if (args[1] != "all" && args[1] != t.Name) continue;
            SmokeRun.Outcome o = SmokeRun.Run(t, mutants, seed, limit);
            Console.WriteLine($"{t.Name,-9} {o.Executions,9:N0} inputs in {o.Seconds,6:F1} s ({o.Executions / Math.Max(o.Seconds, 1e-9),10:N0}/s): {(o.Finding is null ? "no finding" : "FINDING")}");
            if (o.Finding is not null)
            {
                findings++;
                string file = Path.GetFullPath($"finding-{t.Name}-{seed}.bin");
                File.WriteAllBytes(file, o.FindingInput!);
                Console.WriteLine($"  {o.Finding.GetType().Name}: {o.Finding.Message}\n  input saved to {file} (reproduce: Wallet.Fuzz replay {t.Name} {file})");
            }
        }
        if (args[1] != "all" && FuzzTargets.Find(args[1]) is null) return Fail($"unknown target '{args[1]}' (see: Wallet.Fuzz list)");
        return findings == 0 ? 0 : 1;
    }
    case "replay" when args.Length == 3:
    {
        FuzzTarget? t = FuzzTargets.Find(args[1]);
        if (t is null) return Fail($"unknown target '{args[1]}' (see: Wallet.Fuzz list)");
        string[] files = Directory.Exists(args[2]) ? Directory.GetFiles(args[2]) : [args[2]];
        Array.Sort(files, StringComparer.Ordinal);
        int bad = 0;
        foreach (string f in files)
        {
            Exception? e = SmokeRun.Execute(t, File.ReadAllBytes(f));
            if (e is not null) bad++;
            Console.WriteLine(e is null ? $"ok       {f}" : $"FINDING  {f}\n  {e}");
        }
        return bad == 0 ? 0 : 1;
    }
    default:
        return Fail(Usage);
}

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    return 2;
}
