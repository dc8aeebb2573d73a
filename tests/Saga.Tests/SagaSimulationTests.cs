using FsCheck;
using FsCheck.Fluent;
using Wallet.Engine.Ledger;
using Xunit.Abstractions;

namespace Wallet.Saga.Tests;

/// <summary>
/// The CI slice of the saga simulation. Each seed runs partitions + sequencer over a lossy, duplicating, reordering
/// network with sequencer and partition crashes, checks the invariants after every step, heals, and checks that every
/// saga ended and every balance is what the committed sagas say. A failure names its seed
/// (rerun one with <c>SagaSimulation.Run(seed)</c>).
/// </summary>
public sealed class SagaSimulationTests(ITestOutputHelper output)
{
    [Theory(Timeout = 240_000)]
    [InlineData(3, 1, 12)]
    [InlineData(2, 101, 106)]
    [InlineData(5, 201, 204)]
    public async Task Seeds_hold_every_invariant_and_every_saga_terminates(int partitions, int first, int last)
    {
        await Task.Yield();
        var failures = new List<string>();
        for (var seed = first; seed <= last; seed++)
        {
            try
            {
                var result = SagaSimulation.Run(seed, partitions);
                output.WriteLine(result.ToString());
                Assert.True(result.Committed > 0 && result.Failed > 0, $"seed {seed}: the run should both commit and compensate");
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidDataException)
            {
                failures.Add($"seed {seed} (partitions {partitions}): {e.Message}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory(Timeout = 120_000)]
    [InlineData(SagaMode.Saga)]
    [InlineData(SagaMode.Tcc)]
    [InlineData(SagaMode.TwoPhaseCommit)]
    public async Task A_sequencer_crash_after_every_one_of_its_commands_still_ends_each_saga_correctly(SagaMode mode)
    {
        await Task.Yield();
        // A fault-free run tells how many sequencer commands a few sagas take; then crash after each one in turn.
        var reference = RunScripted(mode, crashAfter: -1, out _);
        Assert.True(reference > 4);
        for (var k = 1; k <= reference; k++)
        {
            RunScripted(mode, crashAfter: k, out var world);
            Assert.Equal(1, world.SequencerCrashes);
        }
    }

    /// <summary>Three sagas (one committing, one whose hold fails, one whose credit fails); returns the sequencer's command count.</summary>
    private static int RunScripted(SagaMode mode, int crashAfter, out SagaWorld world)
    {
        world = new SagaWorld(seed: 7, partitions: 2, SagaFaults.None, stepDeadlineNs: 500 * SagaWorld.Millisecond);
        // Distinct source accounts, so that 2PC's locks do not make the sagas refuse each other.
        var (a1, a2, a3) = (Customer(world, 0, 1, 0), Customer(world, 0, 1, 1), Customer(world, 0, 1, 2));
        var b = Customer(world, 1, 1, 0);
        UInt128 missing = 1_000_001;
        while (world.Map.PartitionOf(missing) != 1) missing += 2;
        var correlations = new[]
        {
            world.Begin(new Transfer { Id = 1, DebitAccountId = a1, CreditAccountId = b, Amount = 10, Ledger = 2, Code = 1 }, mode),
            world.Begin(new Transfer { Id = 2, DebitAccountId = a2, CreditAccountId = b, Amount = 999_999, Ledger = 2, Code = 1 }, mode),
            world.Begin(new Transfer { Id = 3, DebitAccountId = a3, CreditAccountId = missing, Amount = 10, Ledger = 2, Code = 1 }, mode),
        };
        for (var ms = 0; ms < 2_000; ms++)
        {
            if (world.SequencerUp && crashAfter > 0 && world.SequencerCommandCount >= crashAfter && world.SequencerCrashes == 0)
                world.CrashSequencer(5 * SagaWorld.Millisecond);
            world.Step(faults: false);
            if (world.SequencerUp && world.Sequencer.ActiveCount == 0 && (crashAfter <= 0 || world.SequencerCrashes == 1)) break;
        }

        world.Heal();
        world.CheckQuiescent();
        Assert.Equal(ResultCode.Ok, world.OutcomeOf(correlations[0]));
        Assert.Equal(ResultCode.ExceedsCredits, world.OutcomeOf(correlations[1]));
        Assert.Equal(ResultCode.CreditAccountNotFound, world.OutcomeOf(correlations[2]));
        return world.SequencerCommandCount;
    }

    /// <summary>The <paramref name="nth"/> funded customer with id parity <paramref name="oddness"/> (ledger = id % 2 + 1) in <paramref name="partition"/>.</summary>
    private static UInt128 Customer(SagaWorld world, int partition, uint oddness, int nth)
    {
        for (UInt128 id = 1; id < 1_000; id++)
        {
            if (id % 2 == oddness && world.Map.PartitionOf(id) == partition && world.Partition(partition).TryGetAccount(id, out _) && nth-- == 0) return id;
        }

        throw new InvalidOperationException("not enough customers");
    }

    [Fact(Timeout = 120_000)]
    public async Task Property_any_seed_of_a_short_chaotic_run_holds_the_invariants()
    {
        await Task.Yield();
        var property = Prop.ForAll(Gen.Choose(10_000, 1_000_000).ToArbitrary(), seed =>
        {
            SagaSimulation.Run(seed, partitions: 2 + (seed % 3), milliseconds: 150);
            return true;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(8), property);
    }
}
