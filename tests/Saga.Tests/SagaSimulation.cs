namespace Wallet.Saga.Tests;

/// <summary>One seeded run: begin sagas of every mode under faults, heal, check quiescence. Throws on any violation.</summary>
public static class SagaSimulation
{
    public sealed record Result(int Seed, int Begun, int Committed, int Failed, int SequencerCrashes, int PartitionCrashes, int LockRefusals)
    {
        public override string ToString() =>
            $"seed {Seed}: {Begun} begun, {Committed} committed, {Failed} failed, {SequencerCrashes} sequencer / {PartitionCrashes} partition crashes, {LockRefusals} lock refusals";
    }

    public static Result Run(int seed, int partitions = 3, int milliseconds = 600, SagaFaults? faults = null)
    {
        var world = new SagaWorld(seed, partitions, faults ?? SagaFaults.Chaos, stepDeadlineNs: 300 * SagaWorld.Millisecond);
        var rng = new Random(seed ^ 0x5A6A);
        var begun = new List<long>();
        for (var ms = 0; ms < milliseconds; ms++)
        {
            if (rng.Next(3) == 0)
            {
                var mode = (SagaMode)(1 + rng.Next(3));
                var linked = rng.Next(40) == 0;
                var correlation = world.BeginRandom(mode, linked);
                if (linked && world.SequencerUp && world.OutcomeOf(correlation) != Wallet.Engine.Ledger.ResultCode.LinkedChainSpansPartitions)
                    throw new InvalidOperationException($"seed {seed}: a linked cross-partition transfer was not refused");
                begun.Add(correlation);
            }

            if (rng.Next(8) == 0 && begun.Count > 0 && world.SequencerUp) world.Repeat(begun[rng.Next(begun.Count)]);
            if (rng.Next(2) == 0) world.DirectTransferRandom();
            world.Step();
        }

        world.Heal();
        world.CheckQuiescent();
        return new Result(seed, world.BegunCount, world.CommittedCount, world.FailedCount, world.SequencerCrashes, world.PartitionCrashes, world.LockRefusals);
    }
}
