using Wallet.Perf.Scenarios;

namespace Wallet.Perf.Harness;

/// <summary>The scenarios the executable knows. One line per scenario.</summary>
internal static class ScenarioRegistry
{
    public static readonly IReadOnlyList<IScenario> All =
    [
        new RingScenario(),
        new BlpScenario(),
        new E2eScenario("e2e", defaultReplicas: 1),
        new E2eScenario("replicated", defaultReplicas: 3),
        new FixScenario(),
        new RaftCoreScenario(),
        new JournalScenario(),
        new ReadModelScenario(),
        new SagaScenario(),
        new ClusterSagaScenario(),
        new Scenarios.Baselines.PostgresBaselineScenario(),
        new Scenarios.Baselines.RedisBaselineScenario(),
        new HttpScenario(),
        new E2eScenario("readmodel-lag", defaultReplicas: 1, readModelLag: true),
        new HiccupScenario(),
        new EchoScenario(),
        new SnapshotInstallScenario(),
    ];

    public static IScenario? Find(string name)
    {
        foreach (IScenario s in All)
        {
            if (string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return s;
            }
        }
        return null;
    }
}
