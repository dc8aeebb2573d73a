namespace Wallet.Perf.Harness;

/// <summary>How one scenario of a run set ended.</summary>
internal enum OutcomeStatus
{
    Ok,
    Failed,
    Skipped,
}

/// <summary>One scenario's place in a run set: its result (if it ran), the options it ran with, and how it ended.</summary>
internal sealed record ScenarioOutcome(string Scenario, OutcomeStatus Status, ScenarioResult? Result, PerfOptions? Options, IReadOnlyList<string> Arguments, double ElapsedS, string? Error);
