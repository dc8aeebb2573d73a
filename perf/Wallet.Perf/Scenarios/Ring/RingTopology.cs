using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios.Ring;

/// <summary>Producers feeding one ring, and a pipeline of consumers (each waits on the previous one).</summary>
internal sealed record RingTopology(string Name, int Producers, int PipelineLength)
{
    public static readonly RingTopology OneToOne = new("1P1C", 1, 1);
    public static readonly RingTopology ThreeToOne = new("3P1C", 3, 1);
    public static readonly RingTopology OneToThreePipeline = new("1P3C", 1, 3);

    public int Threads => Producers + PipelineLength;

    /// <summary>Busy-spin only when every spinning thread can own a core; otherwise yielding.</summary>
    public WaitKind DefaultWait => Threads <= Environment.ProcessorCount ? WaitKind.BusySpin : WaitKind.Yielding;

    public static IReadOnlyList<RingTopology> Parse(string text) => text.ToLowerInvariant() switch
    {
        "all" => [OneToOne, ThreeToOne, OneToThreePipeline],
        "1p1c" => [OneToOne],
        "3p1c" => [ThreeToOne],
        "1p3c" => [OneToThreePipeline],
        _ => throw new PerfOptionsException($"--topology must be all|1p1c|3p1c|1p3c; got '{text}'"),
    };
}
