namespace Wallet.Cluster.Tests;

/// <summary>
/// The tests that start `wallet serve` / `wallet cluster` processes (three replicas each, up to three groups per
/// replica) run one after another: two such clusters at once on two cores starve each other's elections and pick port
/// ranges while the other's children are still starting. They still run beside the in-process cluster tests.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessClusters
{
    public const string Name = "process clusters";
}
