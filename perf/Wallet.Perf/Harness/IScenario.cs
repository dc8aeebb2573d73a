namespace Wallet.Perf.Harness;

/// <summary>
/// One named load scenario. To add one: write a sealed class implementing this in Scenarios/, and add one line to
/// <see cref="ScenarioRegistry.All"/>. Every load loop must stop by itself (use <see cref="PerfOptions.DurationS"/>).
/// </summary>
internal interface IScenario
{
    /// <summary>Command-line name (lower-case, no spaces).</summary>
    string Name { get; }

    /// <summary>One line for --help.</summary>
    string Description { get; }

    /// <summary>Scenario-specific options (beyond the common ones); anything else on the command line is rejected.</summary>
    IReadOnlyList<OptionSpec> ExtraOptions { get; }

    /// <summary>Runs the scenario; progress goes to <paramref name="log"/>, figures into the result.</summary>
    ScenarioResult Run(PerfOptions options, TextWriter log);
}

/// <summary>Describes a scenario-specific option for --help and validation.</summary>
internal sealed record OptionSpec(string Name, string Description, string DefaultValue);
