using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Saga;

/// <summary>Configuration of a saga sequencer. Every replica (and every replay) must use equal options.</summary>
public sealed class SagaOptions
{
    public const int MaxTableCapacity = 1 << 22;

    public required PartitionMap Map { get; init; }
    public required LedgerCatalog Catalog { get; init; }

    /// <summary>Open sagas at most; a Begin beyond it is refused with <see cref="ResultCode.SagaTableFull"/>.</summary>
    public int MaxActiveSagas { get; init; } = 65_536;

    /// <summary>Ended sagas remembered (FIFO) so that a repeated Begin gets the original outcome.</summary>
    public int RetainedCompletedSagas { get; init; } = 65_536;

    /// <summary>Log time a saga may spend in its forward steps (1, 2) before it is compensated.</summary>
    public long StepDeadlineNs { get; init; } = 5_000_000_000L;

    /// <summary>Items per journal command (Begin or StepOutcome batch).</summary>
    public int MaxBatchSize { get; init; } = 8190;

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Map);
        ArgumentNullException.ThrowIfNull(Catalog);
        if (Map.PartitionCount < 2) throw new ArgumentException("a saga needs at least two partitions", nameof(Map));
        if (MaxActiveSagas is < 1 or > MaxTableCapacity) throw new ArgumentOutOfRangeException(nameof(MaxActiveSagas), MaxActiveSagas, $"1..{MaxTableCapacity}");
        if (RetainedCompletedSagas is < 0 or > MaxTableCapacity) throw new ArgumentOutOfRangeException(nameof(RetainedCompletedSagas), RetainedCompletedSagas, $"0..{MaxTableCapacity}");
        if (StepDeadlineNs <= 0) throw new ArgumentOutOfRangeException(nameof(StepDeadlineNs), StepDeadlineNs, "> 0");
        if (MaxBatchSize is < 1 or > 65_536) throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "1..65536");
    }
}
